// The process-table scan: which processes are the target's tree (root + descendants by ppid) and which are its
// orphans, with a pid cache that keeps the scan cheap between samples.
//  - /proc is listed once (not at all when /proc/loadavg says no process was created since the previous
//    sample); stat is read for tree members, orphans and *new* pids only. A pid classified as outside the
//    tree and unmarked is not read again while it stays listed and is not in the range of pids allocated
//    since the previous sample (pid-allocation.ts): a process outside the tree never moves into it
//    (reparenting only goes up, to init or a subreaper ancestor);
//  - an idle member (no CPU since its previous read, same non-zero fd count) keeps its stat for up to
//    statRefreshMs: non-Z state, RSS and CPU of idle processes may be that old; zombies and reparenting are
//    still seen at once;
//  - fd lists come through the fd cache (fd-cache.ts).
// /proc/PID/task/*/children is not used: the scan needs every member's stat anyway, and a Node process has ~10
// threads to read.
import { formatCmdline } from './parse-cmdline.js';
import { forkedWithoutExec } from './parse-stat.js';
import { mayBeNewPid } from './pid-allocation.js';
import { hasMarker, listPids, pageSizeBytes, readCmdline, readLastPid, readStat, ProcHandles } from './proc-reader.js';
import { FdCache, type FdMemo } from './fd-cache.js';
import { processKey, type ProcStat, type ProcessSnapshot } from './types.js';

export interface ProcessTableOptions {
  rootPid: number;
  marker: { name: string; value: string };
  ignore: RegExp[];
  fdRefreshMs: number;
  statRefreshMs: number;
  adopted: ((stat: ProcStat, rootStart: number) => boolean) | undefined;
}

/** What the table remembers about one pid between samples. */
interface PidInfo extends FdMemo {
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
}

export class ProcessTable {
  private readonly selfPid = process.pid;
  /** the root's starttime (clock ticks): an adopted orphan of this run was born after it */
  private rootStart: number | undefined;
  private rootKey: string | null = null;
  private readonly pageSize = pageSizeBytes();
  /** open /proc handles of tree members and orphans, only while the periodic timer runs */
  private handles: ProcHandles | null = null;
  private generation = 0;
  private readonly pids = new Map<number, PidInfo>();
  private previousTreePids = new Set<number>();
  /** /proc/loadavg's last allocated pid at the previous sample, and that sample's pid listing */
  private lastPid: number | null = null;
  private listing: number[] = [];
  private readonly fdCache: FdCache;

  constructor(
    private readonly opts: ProcessTableOptions,
    stats: { fdListReads: number },
  ) {
    this.fdCache = new FdCache(opts.fdRefreshMs, stats);
  }

  /** Keep /proc handles of watched processes open (while a periodic timer samples). */
  openHandles(): void {
    this.handles = new ProcHandles();
  }

  closeHandles(): void {
    this.handles?.close();
    this.handles = null;
  }

  /** One scan at t: the tree (root first, breadth-first) and the orphans outside it. */
  scan(t: number, full: boolean): { tree: ProcessSnapshot[]; orphans: ProcessSnapshot[] } {
    const generation = ++this.generation;
    const stats = this.readChangingStats(generation, t, full);
    const { tree, ignoredPids } = this.buildTree(stats, t, full);
    const inTree = new Set(tree.map((p) => p.pid));
    const orphans: ProcessSnapshot[] = [];
    for (const [pid, stat] of stats) {
      if (inTree.has(pid) || ignoredPids.has(pid)) continue;
      // its parent was in the tree and exited during this sample: it is being reparented; judge it next time
      if (this.previousTreePids.has(stat.ppid) && !stats.has(stat.ppid)) continue;
      const info = this.pids.get(pid)!;
      if (!this.isOrphan(pid, stat, info)) continue;
      const cmdline = this.cmdlineOf(pid, stat, info);
      if (this.isIgnored(cmdline)) continue;
      orphans.push(this.snapshot(stat, info, cmdline, -1, t, full));
    }
    this.previousTreePids = inTree;
    return { tree, orphans };
  }

  /** processKey(p), without building the string again for a process the table already knows */
  keyOf(p: ProcessSnapshot): string {
    const info = this.pids.get(p.pid);
    return info !== undefined && info.stat !== null && info.stat.starttime === p.starttime ? info.key : processKey(p);
  }

  /**
   * stat of every listed pid except settled outsiders and the harness itself; forgets pids no longer listed.
   * On adaptive samples, an idle member (no CPU ticks between its last two reads, same non-zero fd count)
   * keeps its last stat for up to statRefreshMs: exiting releases the fds first (a zombie has 0), so a
   * process turning into a zombie is re-read at once, and so is any process whose parent left or died.
   */
  private readChangingStats(generation: number, t: number, full: boolean): Map<number, ProcStat> {
    const stats = new Map<number, ProcStat>();
    const reused: number[] = [];
    const lastPid = readLastPid();
    const previousLastPid = this.lastPid;
    this.lastPid = lastPid;
    // no process created since the previous sample: the previous listing still holds every live pid (the
    // vanished ones fail their reads), so skip listing /proc
    const noneCreated = !full && lastPid !== null && lastPid === previousLastPid;
    const pids = noneCreated ? this.listing : listPids();
    this.listing = pids;
    for (const pid of pids) {
      if (pid === this.selfPid) continue;
      let info = this.pids.get(pid);
      if (info && info.listed === generation - 1 && info.settled && !mayBeNewPid(pid, previousLastPid, lastPid)) {
        info.listed = generation;
        continue;
      }
      // members and orphans are read every sample: through kept handles while the timer runs
      // a kept handle stays with its process: a new process under the same pid fails the handle's reads
      const watched = info !== undefined && (info.wasInTree || info.orphan) && info.listed === generation - 1;
      if (watched && !full && this.handles && info!.stat && info!.idle && t - info!.statAt < this.opts.statRefreshMs) {
        const count = this.handles.fdCount(pid);
        if (count === null) continue; // vanished
        info!.countGeneration = generation;
        info!.count = count;
        if (count !== undefined && count > 0 && count === info!.fdCount) {
          info!.listed = generation;
          stats.set(pid, info!.stat);
          reused.push(pid);
          continue;
        }
      }
      const stat = watched && this.handles ? this.handles.stat(pid) : readStat(pid);
      if (!stat) continue; // vanished
      const key = processKey(stat);
      if (!info || info.key !== key || info.listed !== generation - 1) {
        this.handles?.forget(pid);
        info = {
          key, comm: stat.comm, listed: generation, settled: false, unmarkedReads: 0, orphan: false, wasInTree: false,
          cmdline: null, cmdlineStable: false, preExec: false, fds: null, fdCount: -1, fdsReadAt: 0,
          stat: null, statAt: 0, idle: false, count: undefined, countGeneration: 0,
        };
        this.pids.set(pid, info);
      }
      keepStat(info, stat, t);
      info.listed = generation;
      stats.set(pid, stat);
    }
    for (const pid of reused) {
      const ppid = stats.get(pid)!.ppid;
      if (ppid === this.selfPid) continue;
      const parent = stats.get(ppid);
      if (parent && parent.state !== 'Z') continue;
      const stat = this.handles!.stat(pid);
      if (stat) keepStat(this.pids.get(pid)!, stat, t);
      if (stat) stats.set(pid, stat);
      else stats.delete(pid);
    }
    for (const [pid, info] of this.pids) {
      if (info.listed === generation) continue;
      this.pids.delete(pid);
      this.handles?.forget(pid);
    }
    return stats;
  }

  private buildTree(stats: Map<number, ProcStat>, t: number, full: boolean): { tree: ProcessSnapshot[]; ignoredPids: Set<number> } {
    const tree: ProcessSnapshot[] = [];
    const ignoredPids = new Set<number>();
    const root = stats.get(this.opts.rootPid);
    if (!root) return { tree, ignoredPids };
    const rootKey = processKey(root);
    this.rootKey ??= rootKey;
    this.rootStart ??= root.starttime;
    if (rootKey !== this.rootKey) return { tree, ignoredPids }; // the pid now belongs to someone else

    const childrenOf = new Map<number, number[]>();
    for (const [pid, stat] of stats) {
      const siblings = childrenOf.get(stat.ppid);
      if (siblings) siblings.push(pid);
      else childrenOf.set(stat.ppid, [pid]);
    }
    const queue: { pid: number; depth: number; ignored: boolean }[] = [{ pid: root.pid, depth: 0, ignored: false }];
    for (let i = 0; i < queue.length; i++) {
      const { pid, depth } = queue[i]!;
      const stat = stats.get(pid)!;
      const info = this.pids.get(pid)!;
      info.wasInTree = true;
      const cmdline = this.cmdlineOf(pid, stat, info);
      // an ignored process takes its whole subtree out of the picture
      const ignored = queue[i]!.ignored || (depth > 0 && this.isIgnored(cmdline));
      if (ignored) ignoredPids.add(pid);
      else tree.push(this.snapshot(stat, info, cmdline, depth, t, full));
      for (const child of childrenOf.get(pid) ?? []) {
        if (child !== this.selfPid) queue.push({ pid: child, depth: depth + 1, ignored });
      }
    }
    return { tree, ignoredPids };
  }

  /** Outside the tree: carries the marker, was in the tree before (reparented away), was adopted by us, or is a child of such an orphan. */
  private isOrphan(pid: number, stat: ProcStat, info: PidInfo): boolean {
    if (info.orphan) return true;
    if (info.wasInTree || (this.rootStart !== undefined && this.opts.adopted?.(stat, this.rootStart))) {
      info.orphan = true;
      return true;
    }
    // kernel threads (kthreadd and its children) have no environment
    if (pid === 2 || stat.ppid === 2) {
      info.settled = true;
      return false;
    }
    // a child of one of the run's orphans is the run's too, whatever its environment reads (a zombie's reads empty)
    if (this.pids.get(stat.ppid)?.orphan) {
      info.orphan = true;
      return true;
    }
    const marked = hasMarker(pid, this.opts.marker.name, this.opts.marker.value);
    if (marked === true) {
      info.orphan = true;
      return true;
    }
    // unmarked after exec: final. A fork that has not exec'd shows its parent's environment, and an
    // unreadable one (zombie, exiting) tells nothing: settle those after two reads
    info.unmarkedReads++;
    if ((marked === false && !forkedWithoutExec(stat)) || info.unmarkedReads >= 2) info.settled = true;
    return false;
  }

  private cmdlineOf(pid: number, stat: ProcStat, info: PidInfo): string {
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

  private isIgnored(cmdline: string): boolean {
    return this.opts.ignore.some((pattern) => pattern.test(cmdline));
  }

  private snapshot(stat: ProcStat, info: PidInfo, cmdline: string, depth: number, t: number, full: boolean): ProcessSnapshot {
    return {
      pid: stat.pid,
      starttime: stat.starttime,
      ppid: stat.ppid,
      pgrp: stat.pgrp,
      state: stat.state,
      cmdline,
      depth,
      // a zombie has no fds (and its fd directory is unreadable)
      fds: stat.state === 'Z' ? [] : this.fdCache.fdsOf(stat.pid, info, t, full, this.generation, this.handles),
      rssBytes: (stat.rssPages ?? 0) * this.pageSize,
      cpuTicks: stat.utimeTicks + stat.stimeTicks,
    };
  }
}

function keepStat(info: PidInfo, stat: ProcStat, t: number): void {
  info.idle = info.stat !== null && info.stat.utimeTicks + info.stat.stimeTicks === stat.utimeTicks + stat.stimeTicks;
  info.stat = stat;
  info.statAt = t;
}
