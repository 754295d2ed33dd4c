// Shapes produced by the /proc parsers and the sampler. Parsers are pure (text in, these out);
// only proc-reader.ts and sampler.ts touch the file system.

export type FdKind = 'socket' | 'pipe' | 'file' | 'other';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T, … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** clock ticks since boot; with pid, the identity of a process (pids are reused) */
  starttime: number;
  utimeTicks: number;
  stimeTicks: number;
  numThreads: number;
  /** resident set size in pages (field 24); multiply by the page size */
  rssPages?: number;
  /** kernel PF_* flags (field 9); PF_FORKNOEXEC (0x40): forked and not exec'd yet, argv/environ are the parent's */
  flags?: number;
}

export interface FdEntry {
  fd: number;
  /** readlink of /proc/PID/fd/N, e.g. "socket:[1234]", "pipe:[99]", "/tmp/x" */
  target: string;
  kind: FdKind;
  /** for socket:[N] and pipe:[N] */
  inode: number | null;
}

export type TcpState =
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING'
  | 'NEW_SYN_RECV'
  | 'UNKNOWN';

export interface TcpRow {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: TcpState;
  inode: number;
}

/** One process as seen in one sample. */
export interface ProcessSnapshot {
  pid: number;
  starttime: number;
  ppid: number;
  pgrp: number;
  state: string;
  cmdline: string;
  /** depth below the target root (root = 0); -1 for a marked process outside the tree */
  depth: number;
  fds: FdEntry[];
  rssBytes: number;
  cpuTicks: number;
}

/** A TCP socket owned by a process of the tree (matched by inode). */
export interface OwnedSocket extends TcpRow {
  pid: number;
  fd: number;
}

export interface Sample {
  /** ms since the run started */
  t: number;
  /** the target root and all its descendants */
  tree: ProcessSnapshot[];
  /** processes outside the tree that carry the run marker, left the tree, or were adopted by the harness */
  orphans: ProcessSnapshot[];
  sockets: OwnedSocket[];
  /** t of the TCP table read the socket states come from (older than t on adaptive samples); null: none yet */
  netT?: number | null;
}

/**
 * What changed in the tree from one sample to the next: processes that joined, left, or whose snapshot changed
 * (an unchanged member keeps the very same snapshot object). The sampler's bookkeeping works from it.
 */
export interface TreeDelta {
  added: ProcessSnapshot[];
  removed: ProcessSnapshot[];
  changed: { before: ProcessSnapshot; after: ProcessSnapshot }[];
}

/** A descendant seen in state Z, from its first such sample to its last (the process as last seen). */
export interface ZombieSpan {
  process: ProcessSnapshot;
  firstMs: number;
  lastMs: number;
}

/** Key of a process across samples: pids are reused, (pid, starttime) is not. */
export const processKey = (p: { pid: number; starttime: number }): string => `${p.pid}@${p.starttime}`;
