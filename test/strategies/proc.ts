// Small /proc readers for the strategy and fork tests (Linux). Processes are keyed by pid only: the tests look at
// short windows in which pid reuse inside one process group is not a concern.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  cmdline: string;
}

export function readStat(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the last ')' : state ppid pgrp …
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      // zombies have an empty cmdline
    }
    return { pid, ppid: Number(rest[1]), pgrp: Number(rest[2]), state: rest[0], cmdline };
  } catch {
    return null; // gone
  }
}

/** Minor page faults of the process's reaped children (cminflt, field 11 of proc(5)). */
export function reapedChildFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[8]);
}

export function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readStat(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** Every descendant of pid (children, grandchildren…), zombies included. */
export function descendants(pid: number): ProcInfo[] {
  const procs = allProcs();
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const walk = (parent: number): void => {
    for (const c of byParent.get(parent) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(pid);
  return out;
}

/** Direct children of pid, zombies included. */
export function childrenOf(pid: number): ProcInfo[] {
  return allProcs().filter((p) => p.ppid === pid);
}

/** Whether pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  const p = readStat(pid);
  return p !== null && p.state !== 'Z';
}

/** Direct children of pid that are not zombies. */
export function liveChildren(pid: number): ProcInfo[] {
  return allProcs().filter((p) => p.ppid === pid && p.state !== 'Z');
}

/** Every process of a process group (it survives its leader: orphans keep the group). */
export function groupMembers(pgid: number): ProcInfo[] {
  return allProcs().filter((p) => p.pgrp === pgid);
}

/** Descriptor count of a process, or -1 when it is gone. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** Link targets of a process's descriptors. */
export function fdTargets(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '?';
      }
    });
  } catch {
    return [];
  }
}

export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** SIGKILL a whole process group; no-op when it is gone. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}
