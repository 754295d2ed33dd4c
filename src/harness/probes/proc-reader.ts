// The only file-system access of the probes. Every read tolerates the process vanishing mid-read
// (ENOENT, ESRCH) or being unreadable (EACCES, EPERM: other users' processes): the answer is then null,
// never an exception. Calls are synchronous on purpose: /proc reads never block on a disk, and async fs
// would queue ~1000 tiny jobs per sample on libuv's 4-thread pool, competing with the harness's own I/O
// (bench/sampler-cost.ts measures the cost). The read itself is proc-file.ts's; the kept-open handles of watched
// processes are proc-handles.ts's.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { isGone, readProcFile } from './proc-file.js';
import { environHas } from './parse-environ.js';
import { parseCmdline } from './parse-cmdline.js';
import { parseFdTarget } from './parse-fd-target.js';
import { parseNetTcp } from './parse-net-tcp.js';
import { parseLastPid } from './parse-loadavg.js';
import { parseStat } from './parse-stat.js';
import { parsePssBytes } from './parse-smaps-rollup.js';
import { parseStatus, type ProcStatus } from './parse-status.js';
import type { FdEntry, ProcStat, TcpRow } from './types.js';

export { readProcFile } from './proc-file.js';

/** Every pid currently in /proc (thread-group leaders only; threads live under /proc/PID/task). */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids;
}

/** The pid most recently allocated in this pid namespace (/proc/loadavg), or null when unreadable. */
export function readLastPid(): number | null {
  const text = readProcFile('/proc/loadavg', 'single');
  return text === null ? null : parseLastPid(text);
}

export function readStat(pid: number): ProcStat | null {
  const text = readProcFile(`/proc/${pid}/stat`, 'single');
  return text === null ? null : parseStat(text);
}

let schedstatSupported: boolean | undefined;

/** Whether /proc/PID/schedstat counts (CONFIG_SCHED_INFO; without it the file is absent or reads zeros). */
export function schedstatIsSupported(): boolean {
  if (schedstatSupported === undefined) {
    const text = readProcFile('/proc/self/schedstat', 'single');
    schedstatSupported = text !== null && /^\d+ \d+ [1-9]\d*/.test(text);
  }
  return schedstatSupported;
}

/**
 * Proportional set size (bytes), or null when the process is gone or its memory map cannot be read (another
 * user's process without CAP_SYS_PTRACE). The kernel walks every page table to answer: far dearer than stat.
 */
export function readPssBytes(pid: number): number | null {
  let text: string | null;
  try {
    text = readProcFile(`/proc/${pid}/smaps_rollup`, 'single');
  } catch {
    return null; // EACCES/EPERM: not ours to read
  }
  return text === null ? null : parsePssBytes(text);
}

export function readStatus(pid: number): ProcStatus | null {
  const text = readProcFile(`/proc/${pid}/status`, 'single');
  return text === null ? null : parseStatus(text);
}

/** argv, or null when gone; [] for kernel threads and zombies. */
export function readCmdline(pid: number): string[] | null {
  const text = readProcFile(`/proc/${pid}/cmdline`, 'single');
  return text === null ? null : parseCmdline(text);
}

export function readEnvironText(pid: number): string | null {
  return readProcFile(`/proc/${pid}/environ`, 'single');
}

/** true/false, or null when the environment cannot be read (gone, zombie, not ours). */
export function hasMarker(pid: number, name: string, value: string): boolean | null {
  const text = readEnvironText(pid);
  // a zombie's (or exiting process's) environ reads as empty: unknown, not "unmarked"
  if (text === null || text === '') return null;
  return environHas(text, name, value);
}

/** Open descriptors with their link targets; null when the process is gone or its fds are not readable. */
export function readFds(pid: number): FdEntry[] | null {
  const dir = `/proc/${pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
  const fds: FdEntry[] = [];
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(`${dir}/${name}`);
    } catch (error) {
      if (isGone(error)) continue; // closed between readdir and readlink
      throw error;
    }
    fds.push(parseFdTarget(Number(name), target));
  }
  return fds;
}

let fdCountSupported: boolean | undefined;

/** Whether this kernel reports the fd count as /proc/PID/fd's size (Linux ≥ 6.2). */
export function fdCountIsSupported(): boolean {
  fdCountSupported ??= statSync('/proc/self/fd').size > 0;
  return fdCountSupported;
}

/**
 * Number of open fds of pid from one stat() of /proc/PID/fd (Linux ≥ 6.2 reports it as the size), or
 * undefined when the kernel does not (size 0) — then only readFds can tell; null when the process is gone.
 */
export function countFds(pid: number): number | null | undefined {
  if (!fdCountIsSupported()) return undefined;
  try {
    return statSync(`/proc/${pid}/fd`).size;
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

export type TcpTable = 'tcp' | 'tcp6';

/**
 * Rows of one TCP table (IPv4 'tcp' or IPv6 'tcp6', which also lists dual-stack sockets) of the network
 * namespace `pid` lives in, or of the harness's own namespace when pid is 'self' or gone.
 * `onlyInodes` skips rows nobody of interest owns.
 */
export function readTcpTable(pid: number | 'self', table: TcpTable, onlyInodes?: ReadonlySet<number>): TcpRow[] {
  let text = readProcFile(`/proc/${pid}/net/${table}`, 'seq');
  if (text === null && pid !== 'self') text = readProcFile(`/proc/self/net/${table}`, 'seq');
  return text === null ? [] : parseNetTcp(text, onlyInodes);
}

/** Both TCP tables (IPv4 and IPv6). */
export function readNetTcp(pid: number | 'self', onlyInodes?: ReadonlySet<number>): TcpRow[] {
  return [...readTcpTable(pid, 'tcp', onlyInodes), ...readTcpTable(pid, 'tcp6', onlyInodes)];
}

let childrenFileSupported: boolean | undefined;

/** Whether this kernel has /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN; absent on some kernels). */
export function hasChildrenFile(): boolean {
  childrenFileSupported ??= existsSync(`/proc/self/task/${process.pid}/children`);
  return childrenFileSupported;
}

/**
 * Direct children of pid. Uses /proc/PID/task/TID/children when the kernel has it, otherwise scans every
 * process's ppid — O(all processes): the sampler builds the whole tree from one scan instead of calling this.
 */
export function listChildren(pid: number): number[] {
  const children: number[] = [];
  if (hasChildrenFile()) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch (error) {
      if (isGone(error)) return children;
      throw error;
    }
    for (const tid of tids) {
      const text = readProcFile(`/proc/${pid}/task/${tid}/children`);
      for (const word of text?.split(' ') ?? []) if (word.trim() !== '') children.push(Number(word));
    }
    return children;
  }
  for (const other of listPids()) {
    if (readStat(other)?.ppid === pid) children.push(other);
  }
  return children;
}

function getconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

let clockTicks: number | undefined;
let pageSize: number | undefined;

/** Clock ticks per second of utime/stime/starttime (USER_HZ: 100 on Linux), asked once. */
export function clkTck(): number {
  clockTicks ??= getconf('CLK_TCK', 100);
  return clockTicks;
}

/** Page size for stat's rss field (4096 on x86-64; 16/64 KiB on some arm64 kernels), asked once. */
export function pageSizeBytes(): number {
  pageSize ??= getconf('PAGESIZE', 4096);
  return pageSize;
}
