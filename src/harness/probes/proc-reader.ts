// The only file-system access of the probes. Every read tolerates the process vanishing mid-read
// (ENOENT, ESRCH) or being unreadable (EACCES, EPERM: other users' processes): the answer is then null,
// never an exception. Calls are synchronous on purpose: /proc reads never block on a disk, and async fs
// would queue ~1000 tiny jobs per sample on libuv's 4-thread pool, competing with the harness's own I/O
// (bench/sampler-cost.ts measures the cost).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readlinkSync, readSync, statSync } from 'node:fs';
import { environHas } from './parse-environ.js';
import { parseCmdline } from './parse-cmdline.js';
import { parseFdTarget } from './parse-fd-target.js';
import { parseNetTcp } from './parse-net-tcp.js';
import { parseLastPid } from './parse-loadavg.js';
import { parseStat } from './parse-stat.js';
import { parsePssBytes } from './parse-smaps-rollup.js';
import { parseStatus, type ProcStatus } from './parse-status.js';
import type { FdEntry, ProcStat, TcpRow } from './types.js';

const GONE = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM', 'ENOTDIR', 'EINVAL']);

function isGone(error: unknown): boolean {
  return typeof error === 'object' && error !== null && GONE.has((error as NodeJS.ErrnoException).code ?? '');
}

// One reusable buffer: readFileSync allocates 64 KiB per call for size-0 /proc files and fstat()s first.
let buffer = Buffer.allocUnsafe(64 * 1024);

/**
 * When a read of a multi-record seq_file (/proc/net/tcp) returns less than this, the kernel hit the end of the
 * table: a read that stops early for lack of room stops within one record (< 200 bytes) of a full page.
 * Saves the final empty read, which costs a whole extra walk of the TCP hash table (~2 ms here).
 */
const SEQ_SHORT_READ = 2048;

/**
 * Whole content of a /proc file, or null when the process is gone or the file unreadable.
 * `single`: the file is generated in one piece (stat, status, cmdline, environ), so a read that does not fill
 * the buffer returned everything; `seq`: a record-by-record table (net/tcp), see SEQ_SHORT_READ.
 */
export function readProcFile(path: string, kind: 'single' | 'seq' | 'any' = 'any'): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
  try {
    let length = 0;
    for (;;) {
      // a seq read is only judged short against ample room (see SEQ_SHORT_READ)
      if (length === buffer.length || (kind === 'seq' && buffer.length - length < 4 * SEQ_SHORT_READ)) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger);
        buffer = bigger;
      }
      const room = buffer.length - length;
      const n = readSync(fd, buffer, length, room, null);
      length += n;
      if (n === 0 || (kind === 'single' && n < room) || (kind === 'seq' && n < SEQ_SHORT_READ)) break;
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  } finally {
    closeSync(fd);
  }
}

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

/**
 * Kept-open handles on the /proc entries of watched processes, so that a periodic sample costs one syscall
 * per question instead of open+read+close or a path walk:
 *  - /proc/PID/stat re-read with pread at offset 0 (a seq_file regenerates its text on a read from 0);
 *  - /proc/PID/fd directory fstat()ed for its size, which Linux ≥ 6.2 reports as the number of open fds.
 * A handle belongs to the process, not the pid number: once that process is reaped a read fails with ESRCH,
 * even if the pid was reused since. Holds up to two fds per watched process: close() when done.
 */
export class ProcHandles {
  private readonly statFds = new Map<number, number>();
  private readonly fdDirFds = new Map<number, number>();
  private readonly schedFds = new Map<number, number>();

  constructor(private readonly maxProcesses = 1024) {}

  get size(): number {
    return this.statFds.size + this.fdDirFds.size + this.schedFds.size;
  }

  /**
   * /proc/PID/schedstat of the thread-group leader as text ("runtime_ns wait_ns timeslices"): it changes
   * whenever the leader got a CPU, so for a single-threaded process an unchanged text means it did not run
   * at all (and so opened, closed or changed nothing). null when gone; undefined when over the cap.
   */
  schedstat(pid: number): string | null | undefined {
    const fd = this.handle(this.schedFds, pid, `/proc/${pid}/schedstat`);
    if (fd === undefined) return undefined;
    if (fd === null) return null;
    try {
      const n = readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.toString('latin1', 0, n);
    } catch (error) {
      this.forget(pid);
      if (isGone(error)) return null;
      throw error;
    }
  }

  stat(pid: number): ProcStat | null {
    const fd = this.handle(this.statFds, pid, `/proc/${pid}/stat`);
    if (fd === undefined) return readStat(pid);
    if (fd === null) return null;
    try {
      const n = readSync(fd, buffer, 0, buffer.length, 0);
      return parseStat(buffer.toString('utf8', 0, n));
    } catch (error) {
      this.forget(pid);
      if (isGone(error)) return null;
      throw error;
    }
  }

  /** As countFds(pid). */
  fdCount(pid: number): number | null | undefined {
    if (!fdCountIsSupported()) return undefined;
    const fd = this.handle(this.fdDirFds, pid, `/proc/${pid}/fd`);
    if (fd === undefined) return countFds(pid);
    if (fd === null) return null;
    try {
      return fstatSync(fd).size;
    } catch (error) {
      this.forget(pid);
      if (isGone(error)) return null;
      throw error;
    }
  }

  forget(pid: number): void {
    for (const map of [this.statFds, this.fdDirFds, this.schedFds]) {
      const fd = map.get(pid);
      if (fd === undefined) continue;
      map.delete(pid);
      closeSync(fd);
    }
  }

  close(): void {
    for (const pid of [...this.statFds.keys(), ...this.fdDirFds.keys(), ...this.schedFds.keys()]) this.forget(pid);
  }

  /** the open fd; null when the process is gone; undefined when over the cap (caller falls back) */
  private handle(map: Map<number, number>, pid: number, path: string): number | null | undefined {
    const open = map.get(pid);
    if (open !== undefined) return open;
    if (map.size >= this.maxProcesses) return undefined;
    try {
      const fd = openSync(path, 'r');
      map.set(pid, fd);
      return fd;
    } catch (error) {
      if (isGone(error)) return null;
      throw error;
    }
  }
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

function fdCountIsSupported(): boolean {
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
