// Tiny /proc readers for the fork tests: who are a process's children, in which state, how many fds it has.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcRow {
  pid: number;
  ppid: number;
  state: string;
}

function stat(pid: number): ProcRow | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

export function childrenOf(ppid: number): ProcRow[] {
  const out: ProcRow[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const row = stat(Number(name));
    if (row && row.ppid === ppid) out.push(row);
  }
  return out;
}

export function alive(pid: number): boolean {
  const row = stat(pid);
  return row !== null && row.state !== 'Z';
}

export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}
