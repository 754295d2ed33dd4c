// /proc/PID/status ("Key:\tvalue" lines) → the few values the harness uses. Memory lines are in kB.
export interface ProcStatus {
  name: string;
  state: string;
  pid: number;
  ppid: number;
  /** resident set size in bytes; 0 for zombies and kernel threads (they have no VmRSS line) */
  vmRssBytes: number;
  /** peak resident set size in bytes */
  vmHwmBytes: number;
  threads: number;
  /** size of the fd table (not the number of open fds) */
  fdSize: number;
  /** every line, raw, for anything else a caller wants */
  fields: Record<string, string>;
}

const kbToBytes = (value: string | undefined): number => {
  if (value === undefined) return 0;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? n * 1024 : 0;
};

export function parseStatus(text: string): ProcStatus {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  const int = (key: string): number => {
    const n = Number.parseInt(fields[key] ?? '', 10);
    return Number.isFinite(n) ? n : 0;
  };
  return {
    name: fields.Name ?? '',
    // "S (sleeping)" → "S"
    state: (fields.State ?? '').split(' ')[0] ?? '',
    pid: int('Pid'),
    ppid: int('PPid'),
    vmRssBytes: kbToBytes(fields.VmRSS),
    vmHwmBytes: kbToBytes(fields.VmHWM),
    threads: int('Threads'),
    fdSize: int('FDSize'),
    fields,
  };
}
