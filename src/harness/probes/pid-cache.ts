// What the process table remembers between samples: one PidInfo per pid seen (its stat, fd memo, cmdline and
// how it was classified), the last /proc listing and the kept /proc handles. Both kinds of sample
// (scan-stats.ts, event-stats.ts) read and update it; process-table.ts classifies from it.
import { formatCmdline } from './parse-cmdline.js';
import { forkedWithoutExec } from './parse-stat.js';
import { readCmdline } from './proc-reader.js';
import type { ProcHandles } from './proc-handles.js';
import type { FdMemo } from './fd-cache.js';
import type { ProcStat, ProcessSnapshot } from './types.js';

/** What the table remembers about one pid between samples. */
export interface PidInfo extends FdMemo {
  key: string;
  comm: string;
  /** generation of the last listing that contained this pid */
  listed: number;
  /** outside the tree, unmarked, confirmed twice: not read again while listed */
  settled: boolean;
  /** consecutive environ reads that said "unmarked" (or could not tell) */
  unmarkedReads: number;
  /** marker found, or once in the tree and now outside it: an orphan for as long as it lives */
  orphan: boolean;
  wasInTree: boolean;
  cmdline: string | null;
  /** the cmdline is trusted after exec, or once two reads agree (a fresh fork shows its parent's argv until exec) */
  cmdlineStable: boolean;
  /** PF_FORKNOEXEC at the last cmdline read: its clearing means the process exec'd */
  preExec: boolean;
  /** last stat read and when (idle, from FdMemo: no CPU between its last two reads) */
  stat: ProcStat | null;
  statAt: number;
  /** scan generation whose stat read this was (event samples look at fds only then) */
  readGeneration: number;
  /** the snapshot of the last scan it was in the tree, and that scan's generation */
  snap: ProcessSnapshot | null;
  snapGeneration: number;
  /** an exit event was seen: read every sample until it is a zombie or gone */
  exiting: boolean;
  /** event samples: its activity at the last look (ProcHandles.activity), null: unknown */
  runs: number | string | null;
}

export class PidCache {
  readonly selfPid = process.pid;
  readonly pids = new Map<number, PidInfo>();
  /** open /proc handles of tree members and orphans, only while the periodic timer runs */
  handles: ProcHandles | null = null;
  /** /proc/loadavg's last allocated pid at the previous sample, and that sample's pid listing */
  lastPid: number | null = null;
  listing: number[] = [];
  /** generation of the previous listing of /proc (every scan without events) */
  previousListing = 0;
  readonly counters = { eventSamples: 0, listings: 0, statReads: 0, events: 0, lostEvents: 0 };

  /** a tree member or an orphan: read every sample (through a kept handle while the timer runs) */
  isWatched(info: PidInfo | undefined): boolean {
    return info !== undefined && (info.wasInTree || info.orphan);
  }

  forget(pid: number): void {
    this.pids.delete(pid);
    this.handles?.forget(pid);
  }
}

export function newInfo(key: string, stat: ProcStat, generation: number): PidInfo {
  return {
    key,
    comm: stat.comm,
    listed: generation,
    settled: false,
    unmarkedReads: 0,
    orphan: false,
    wasInTree: false,
    cmdline: null,
    cmdlineStable: false,
    preExec: false,
    fds: null,
    fdCount: -1,
    fdsReadAt: 0,
    stat: null,
    statAt: 0,
    idle: false,
    count: undefined,
    countGeneration: 0,
    readGeneration: 0,
    snap: null,
    snapGeneration: 0,
    exiting: false,
    runs: null,
  };
}

export function keepStat(info: PidInfo, stat: ProcStat, t: number): void {
  info.idle = info.stat !== null && info.stat.utimeTicks + info.stat.stimeTicks === stat.utimeTicks + stat.stimeTicks;
  info.stat = stat;
  info.statAt = t;
}

/** The cmdline of a pid, read again only when it may have changed (see cmdlineStable). */
export function cmdlineOf(pid: number, stat: ProcStat, info: PidInfo): string {
  const preExec = forkedWithoutExec(stat);
  if (info.comm !== stat.comm || info.preExec !== preExec) {
    // exec'd since the last read
    info.comm = stat.comm;
    info.preExec = preExec;
    info.cmdlineStable = false;
  }
  if (info.cmdlineStable && info.cmdline !== null) return info.cmdline;
  const args = readCmdline(pid);
  const text = args && args.length > 0 ? formatCmdline(args) : `[${stat.comm}]`;
  // zombies and exiting processes read as empty: keep the last real cmdline
  if (args === null || args.length === 0) return info.cmdline ?? text;
  // after exec argv is final; a fork that has not exec'd shows its parent's argv, and may keep it for
  // good (a forked worker) or exec any moment: trust it once two reads agree, re-read when it execs
  info.cmdlineStable = !preExec || info.cmdline === text;
  info.cmdline = text;
  return text;
}
