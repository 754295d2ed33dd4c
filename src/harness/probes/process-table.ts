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
//  - with process events (proc-events.ts: the proc connector, where permitted) an adaptive sample lists /proc
//    only every checkMs (the periodic check, which also finds anything the events could not say, such as a
//    marked process born outside the tree) and otherwise reads stat only of the processes that changed: forked,
//    exec'd or exited since the previous sample (and the children of an exiting one: they are reparented),
//    zombies (until reaped), processes that used CPU between their last two reads, processes whose parent is
//    gone or a zombie, and the rest every statRefreshMs. The fd count of a process is looked at only when its
//    stat is read: a descriptor opened by a process that looked idle is seen within statRefreshMs (the bound);
//    zombies and reparenting are still seen at the next sample. Lost events (a burst overflowed the queue)
//    make the next sample a scan.
// /proc/PID/task/*/children is not used: the scan needs every member's stat anyway, and a Node process has ~10
// threads to read.
import { formatCmdline } from './parse-cmdline.js';
import { forkedWithoutExec } from './parse-stat.js';
import { mayBeNewPid } from './pid-allocation.js';
import {
  hasMarker,
  listPids,
  pageSizeBytes,
  readCmdline,
  readLastPid,
  readStat,
  schedstatIsSupported,
  ProcHandles,
} from './proc-reader.js';
import { FdCache, type FdMemo } from './fd-cache.js';
import { EV_EXIT, EV_FORK, ProcEvents } from './proc-events.js';
import { processKey, type ProcStat, type ProcessSnapshot, type TreeDelta } from './types.js';

export interface ProcessTableOptions {
  rootPid: number;
  marker: { name: string; value: string };
  ignore: RegExp[];
  fdRefreshMs: number;
  statRefreshMs: number;
  adopted: ((stat: ProcStat, rootStart: number) => boolean) | undefined;
  /** use process events while the periodic timer runs (default true; they are used where permitted) */
  events?: boolean;
  /** with events, list /proc every this long (default 2000) */
  checkMs?: number;
}

export type { TreeDelta } from './types.js';

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
  /** scan generation whose stat read this was (event samples look at fds only then) */
  readGeneration: number;
  /** the snapshot of the last scan it was in the tree, and that scan's generation */
  snap: ProcessSnapshot | null;
  snapGeneration: number;
  /** an exit event was seen: read every sample until it is a zombie or gone */
  exiting: boolean;
  /** event samples: the leader's schedstat at the last look (single-threaded processes only), null: unknown */
  runs: string | null;
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
  /** generation of the previous listing of /proc (every scan without events) */
  private previousListing = 0;
  private readonly fdCache: FdCache;
  private events: ProcEvents | null = null;
  /** a listing ran since events were last lost (or opened): the events account for every change since */
  private synced = false;
  private lastCheckAt = -Infinity;
  private previousTree: ProcessSnapshot[] = [];
  /** the last scan's changes to the tree (for the sampler's incremental bookkeeping) */
  delta: TreeDelta = { added: [], removed: [], changed: [] };
  /** why events are not used (null while they are) */
  eventsUnavailable: string | null = 'not started';
  readonly counters = { eventSamples: 0, listings: 0, statReads: 0, events: 0, lostEvents: 0 };

  constructor(
    private readonly opts: ProcessTableOptions,
    stats: { fdListReads: number },
  ) {
    this.fdCache = new FdCache(opts.fdRefreshMs, stats);
  }

  /** Keep /proc handles of watched processes open (while a periodic timer samples). */
  openHandles(): void {
    this.handles = new ProcHandles();
    if (this.opts.events !== false && !this.events) {
      this.events = ProcEvents.open();
      this.synced = false; // the next scan lists /proc: from then on the events tell every change
      this.eventsUnavailable = this.events ? null : (ProcEvents.unavailableReason ?? 'unavailable');
    } else if (this.opts.events === false) this.eventsUnavailable = 'off';
  }

  closeHandles(): void {
    this.handles?.close();
    this.handles = null;
    this.events?.close();
    this.events = null;
    this.synced = false;
  }

  /** One scan at t: the tree (root first, breadth-first) and the orphans outside it. */
  scan(t: number, full: boolean): { tree: ProcessSnapshot[]; orphans: ProcessSnapshot[] } {
    const generation = ++this.generation;
    const touched = this.drainEvents();
    const eventMode = !full && touched !== null && this.synced;
    let stats: Map<number, ProcStat>;
    if (eventMode) {
      this.counters.eventSamples++;
      stats = this.readEventStats(generation, t, touched, t - this.lastCheckAt >= (this.opts.checkMs ?? 2000));
    } else {
      stats = this.readChangingStats(generation, t, full);
      // every process was listed after the events drained above: they account for what changes next
      if (touched !== null) this.synced = true;
      this.lastCheckAt = t;
    }
    const { tree, ignoredPids } = this.buildTree(stats, t, full, eventMode);
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
      orphans.push(this.snapshot(stat, info, cmdline, -1, t, full, eventMode));
    }
    this.previousTreePids = inTree;
    this.delta = this.treeDelta(tree, generation);
    return { tree, orphans };
  }

  /** Added, removed and changed members against the previous tree (snapshots of unchanged members are reused). */
  private treeDelta(tree: ProcessSnapshot[], generation: number): TreeDelta {
    const delta: TreeDelta = { added: [], removed: [], changed: [] };
    for (const p of tree) {
      const info = this.pids.get(p.pid)!;
      const before = info.snapGeneration === generation - 1 ? info.snap : null;
      if (before === null) delta.added.push(p);
      else if (before !== p) delta.changed.push({ before, after: p });
      info.snap = p;
      info.snapGeneration = generation;
    }
    for (const p of this.previousTree) {
      const info = this.pids.get(p.pid);
      if (info === undefined || info.snapGeneration !== generation || info.snap!.starttime !== p.starttime) delta.removed.push(p);
    }
    this.previousTree = tree;
    return delta;
  }

  /** The pids the queued events name (forks, execs and exits of any process), or null: no events, or some were lost. */
  private drainEvents(): Touched | null {
    if (!this.events) return null;
    const touched: Touched = { pids: new Set<number>(), forks: [] };
    const complete = this.events.drain((kind, pid, parent) => {
      this.counters.events++;
      if (kind === EV_FORK) {
        touched.forks.push(pid, parent);
        touched.pids.add(parent);
        return;
      }
      touched.pids.add(pid);
      if (kind === EV_EXIT) touched.pids.add(parent);
      if (kind === EV_EXIT) {
        const info = this.pids.get(pid);
        if (info) info.exiting = true;
      }
    });
    if (!complete) {
      this.counters.lostEvents++;
      this.synced = false;
      return null;
    }
    return touched;
  }

  private isWatched(info: PidInfo | undefined): boolean {
    return info !== undefined && (info.wasInTree || info.orphan);
  }

  /**
   * Event samples: the last stat of every watched process (tree members and orphans), re-read only for those
   * that changed (see the header); new processes are those forked by a watched one. With `list`, /proc is
   * listed as well (the periodic check): unknown pids are read and classified as in a scan.
   */
  private readEventStats(generation: number, t: number, touched: Touched, list: boolean): Map<number, ProcStat> {
    const stats = new Map<number, ProcStat>();
    const handles = this.handles!;
    const read = (pid: number, info: PidInfo | undefined): ProcStat | null => {
      this.counters.statReads++;
      const stat = this.isWatched(info) ? handles.stat(pid) : readStat(pid);
      if (!stat) return null;
      const key = processKey(stat);
      if (!info || info.key !== key) {
        handles.forget(pid);
        info = newInfo(key, stat, generation);
        this.pids.set(pid, info);
      }
      keepStat(info, stat, t);
      info.readGeneration = generation;
      info.listed = generation;
      if (info.exiting && stat.state === 'Z') info.exiting = false;
      stats.set(pid, stat);
      return stat;
    };
    const refreshMs = this.opts.statRefreshMs;
    const schedstat = schedstatIsSupported();
    const carryOrRead = (pid: number, info: PidInfo): void => {
      const stat = info.stat;
      let due = touched.pids.has(pid) || info.exiting || stat === null || stat.state === 'Z' || !info.idle;
      // a single-threaded process that got no CPU since the last look changed nothing: its schedstat says so
      // every sample for one cheap read; its stat is refreshed every IDLE_STAT_FACTOR × refreshMs
      // (RSS, state); a multi-threaded one is looked at every refreshMs (the bound for its fds)
      let ran = true;
      // looked at every IDLE_LOOK_EVERY samples, spread over the samples by pid
      if (!due && schedstat && stat!.numThreads === 1 && (pid + generation) % IDLE_LOOK_EVERY !== 0) {
        info.listed = generation;
        stats.set(pid, stat!);
        return;
      }
      if (!due && schedstat && stat!.numThreads === 1) {
        const runs = handles.schedstat(pid);
        if (runs === null)
          due = true; // gone (or reaped): the read below says which
        else if (runs !== undefined) {
          // first look since a read: read once more (the look comes before that read, so nothing falls between)
          ran = info.runs === null || runs !== info.runs;
          info.runs = runs;
          due = ran || t - info.statAt >= IDLE_STAT_FACTOR * refreshMs;
        } else due = t - info.statAt >= refreshMs;
      } else if (!due) due = t - info.statAt >= refreshMs;
      else info.runs = null;
      if (!due) {
        info.listed = generation;
        stats.set(pid, stat!);
        return;
      }
      const before = info.readGeneration;
      if (read(pid, info) === null) {
        this.forget(pid);
        return;
      }
      // it did not run: only the stat was refreshed, its fd list stands (no fd count, no list re-read)
      if (!ran) info.readGeneration = before;
    };
    if (list) {
      this.counters.listings++;
      this.lastCheckAt = t;
      const lastPid = readLastPid();
      const previousLastPid = this.lastPid;
      this.lastPid = lastPid;
      const pids = lastPid !== null && lastPid === previousLastPid ? this.listing : listPids();
      this.listing = pids;
      const previousListing = this.previousListing;
      this.previousListing = generation;
      for (const pid of pids) {
        if (pid === this.selfPid) continue;
        const info = this.pids.get(pid);
        if (this.isWatched(info)) {
          carryOrRead(pid, info!);
          continue;
        }
        if (info?.settled && info.listed >= previousListing && !mayBeNewPid(pid, previousLastPid, lastPid)) {
          info.listed = generation;
          continue;
        }
        read(pid, info && info.listed >= previousListing ? info : undefined);
      }
      for (const [pid, info] of this.pids) if (info.listed !== generation) this.forget(pid);
    } else {
      for (const [pid, info] of this.pids) {
        if (this.isWatched(info)) carryOrRead(pid, info);
      }
      // processes forked by a watched one, or by one forked since (events come in order: a parent's fork
      // before its child's); the machine's other forks are left to the periodic listing
      const forks = touched.forks;
      const born = new Set<number>();
      for (let i = 0; i < forks.length; i += 2) {
        const pid = forks[i]!;
        const parent = forks[i + 1]!;
        if (pid === this.selfPid || stats.has(pid)) continue;
        if (!born.has(parent) && !this.isWatched(this.pids.get(parent))) continue;
        born.add(pid);
        read(pid, undefined);
      }
    }
    // a live process whose parent is gone or a zombie is being reparented: read it again (its new ppid)
    for (const [pid, stat] of stats) {
      if (stat.ppid === this.selfPid || stat.state === 'Z') continue;
      const info = this.pids.get(pid)!;
      if (info.readGeneration === generation) continue;
      const parent = stats.get(stat.ppid);
      if (parent && parent.state !== 'Z') continue;
      if (read(pid, info) === null) {
        stats.delete(pid);
        this.forget(pid);
      }
    }
    return stats;
  }

  private forget(pid: number): void {
    this.pids.delete(pid);
    this.handles?.forget(pid);
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
    const previousListing = this.previousListing;
    this.previousListing = generation;
    this.counters.listings++;
    for (const pid of pids) {
      if (pid === this.selfPid) continue;
      let info = this.pids.get(pid);
      if (info && info.listed >= previousListing && info.settled && !mayBeNewPid(pid, previousLastPid, lastPid)) {
        info.listed = generation;
        continue;
      }
      // members and orphans are read every sample: through kept handles while the timer runs
      // a kept handle stays with its process: a new process under the same pid fails the handle's reads
      const watched = info !== undefined && (info.wasInTree || info.orphan) && info.listed >= previousListing;
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
      this.counters.statReads++;
      if (!stat) continue; // vanished
      const key = processKey(stat);
      if (!info || info.key !== key || info.listed < previousListing) {
        this.handles?.forget(pid);
        info = newInfo(key, stat, generation);
        this.pids.set(pid, info);
      }
      keepStat(info, stat, t);
      info.readGeneration = generation;
      info.listed = generation;
      stats.set(pid, stat);
    }
    for (const pid of reused) {
      const ppid = stats.get(pid)!.ppid;
      if (ppid === this.selfPid) continue;
      const parent = stats.get(ppid);
      if (parent && parent.state !== 'Z') continue;
      const stat = this.handles!.stat(pid);
      this.counters.statReads++;
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

  private buildTree(
    stats: Map<number, ProcStat>,
    t: number,
    full: boolean,
    eventMode: boolean,
  ): { tree: ProcessSnapshot[]; ignoredPids: Set<number> } {
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
      else tree.push(this.snapshot(stat, info, cmdline, depth, t, full, eventMode));
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

  private snapshot(
    stat: ProcStat,
    info: PidInfo,
    cmdline: string,
    depth: number,
    t: number,
    full: boolean,
    eventMode: boolean,
  ): ProcessSnapshot {
    // event samples look at the fds of the processes whose stat they read (a zombie has no fds, and its fd
    // directory is unreadable)
    const fds =
      stat.state === 'Z'
        ? NO_FDS
        : eventMode && info.readGeneration !== this.generation && info.fds !== null
          ? info.fds
          : this.fdCache.fdsOf(stat.pid, info, t, full, this.generation, this.handles);
    const previous = info.snap;
    const rssBytes = (stat.rssPages ?? 0) * this.pageSize;
    const cpuTicks = stat.utimeTicks + stat.stimeTicks;
    // unchanged: the same object as last time (the sampler's bookkeeping skips it)
    if (
      previous !== null &&
      previous.starttime === stat.starttime &&
      previous.fds === fds &&
      previous.depth === depth &&
      previous.state === stat.state &&
      previous.ppid === stat.ppid &&
      previous.pgrp === stat.pgrp &&
      previous.cmdline === cmdline &&
      previous.rssBytes === rssBytes &&
      previous.cpuTicks === cpuTicks
    ) {
      return previous;
    }
    return {
      pid: stat.pid,
      starttime: stat.starttime,
      ppid: stat.ppid,
      pgrp: stat.pgrp,
      state: stat.state,
      cmdline,
      depth,
      fds,
      rssBytes,
      cpuTicks,
    };
  }
}

/** pids named by a sample's events; forks as (child, parent) pairs in the order they happened */
interface Touched {
  pids: Set<number>;
  forks: number[];
}

/**
 * event samples look at an idle single-threaded process's schedstat every this many samples: a descriptor it
 * opens is seen within this many samples (300 ms at 10 Hz); one schedstat read costs ~2 µs here
 */
export const IDLE_LOOK_EVERY = 3;

/** a single-threaded process that got no CPU has its stat re-read this many times less often */
const IDLE_STAT_FACTOR = 5;

/** a zombie's fd list: one shared empty array (never mutated) */
const NO_FDS: never[] = [];

function newInfo(key: string, stat: ProcStat, generation: number): PidInfo {
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

function keepStat(info: PidInfo, stat: ProcStat, t: number): void {
  info.idle = info.stat !== null && info.stat.utimeTicks + info.stat.stimeTicks === stat.utimeTicks + stat.stimeTicks;
  info.stat = stat;
  info.statAt = t;
}
