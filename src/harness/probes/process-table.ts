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
// The files: this one classifies (tree, orphans, ignored subtrees) and makes the snapshots and the delta;
// pid-cache.ts is what is remembered of each pid; scan-stats.ts and event-stats.ts read a sample's stats.
import { forkedWithoutExec } from './parse-stat.js';
import { hasMarker, pageSizeBytes } from './proc-reader.js';
import { ProcHandles } from './proc-handles.js';
import { FdCache } from './fd-cache.js';
import { ProcEvents } from './proc-events.js';
import { cmdlineOf, PidCache, type PidInfo } from './pid-cache.js';
import { readChangingStats } from './scan-stats.js';
import { drainEvents, readEventStats } from './event-stats.js';
import { processKey, type ProcStat, type ProcessSnapshot, type TreeDelta } from './types.js';

export { IDLE_LOOK_EVERY } from './event-stats.js';

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
  /** with events, what says an idle process did not run (ProcHandles.activity; default 'runtime') */
  idleLook?: 'runtime' | 'schedstat';
}

export type { TreeDelta } from './types.js';

export class ProcessTable {
  /** the root's starttime (clock ticks): an adopted orphan of this run was born after it */
  private rootStart: number | undefined;
  private rootKey: string | null = null;
  private readonly pageSize = pageSizeBytes();
  private generation = 0;
  /** what is remembered of each pid, the last listing and the kept handles (pid-cache.ts) */
  private readonly cache = new PidCache();
  private previousTreePids = new Set<number>();
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
  readonly counters = this.cache.counters;

  constructor(
    private readonly opts: ProcessTableOptions,
    stats: { fdListReads: number },
  ) {
    this.fdCache = new FdCache(opts.fdRefreshMs, stats);
  }

  /** Keep /proc handles of watched processes open (while a periodic timer samples). */
  openHandles(): void {
    this.cache.handles = new ProcHandles(undefined, this.opts.idleLook);
    if (this.opts.events !== false && !this.events) {
      this.events = ProcEvents.open();
      this.synced = false; // the next scan lists /proc: from then on the events tell every change
      this.eventsUnavailable = this.events ? null : (ProcEvents.unavailableReason ?? 'unavailable');
    } else if (this.opts.events === false) this.eventsUnavailable = 'off';
  }

  closeHandles(): void {
    this.cache.handles?.close();
    this.cache.handles = null;
    this.events?.close();
    this.events = null;
    this.synced = false;
  }

  /** One scan at t: the tree (root first, breadth-first) and the orphans outside it. */
  scan(t: number, full: boolean): { tree: ProcessSnapshot[]; orphans: ProcessSnapshot[] } {
    const generation = ++this.generation;
    const touched = this.events ? drainEvents(this.events, this.cache) : null;
    if (this.events && touched === null) this.synced = false; // events were lost: the next sample lists /proc
    const eventMode = !full && touched !== null && this.synced;
    let stats: Map<number, ProcStat>;
    if (eventMode) {
      this.counters.eventSamples++;
      const check = t - this.lastCheckAt >= (this.opts.checkMs ?? 2000);
      if (check) this.lastCheckAt = t; // the periodic check lists /proc in this sample
      stats = readEventStats(this.cache, generation, t, touched, check, this.opts.statRefreshMs);
    } else {
      stats = readChangingStats(this.cache, generation, t, full, this.opts.statRefreshMs);
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
      const info = this.cache.pids.get(pid)!;
      if (!this.isOrphan(pid, stat, info)) continue;
      const cmdline = cmdlineOf(pid, stat, info);
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
      const info = this.cache.pids.get(p.pid)!;
      const before = info.snapGeneration === generation - 1 ? info.snap : null;
      if (before === null) delta.added.push(p);
      else if (before !== p) delta.changed.push({ before, after: p });
      info.snap = p;
      info.snapGeneration = generation;
    }
    for (const p of this.previousTree) {
      const info = this.cache.pids.get(p.pid);
      if (info === undefined || info.snapGeneration !== generation || info.snap!.starttime !== p.starttime) delta.removed.push(p);
    }
    this.previousTree = tree;
    return delta;
  }

  /** processKey(p), without building the string again for a process the table already knows */
  keyOf(p: ProcessSnapshot): string {
    const info = this.cache.pids.get(p.pid);
    return info !== undefined && info.stat !== null && info.stat.starttime === p.starttime ? info.key : processKey(p);
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
      const info = this.cache.pids.get(pid)!;
      info.wasInTree = true;
      const cmdline = cmdlineOf(pid, stat, info);
      // an ignored process takes its whole subtree out of the picture
      const ignored = queue[i]!.ignored || (depth > 0 && this.isIgnored(cmdline));
      if (ignored) ignoredPids.add(pid);
      else tree.push(this.snapshot(stat, info, cmdline, depth, t, full, eventMode));
      for (const child of childrenOf.get(pid) ?? []) {
        if (child !== this.cache.selfPid) queue.push({ pid: child, depth: depth + 1, ignored });
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
    if (this.cache.pids.get(stat.ppid)?.orphan) {
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
          : this.fdCache.fdsOf(stat.pid, info, t, full, this.generation, this.cache.handles);
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

/** a zombie's fd list: one shared empty array (never mutated) */
const NO_FDS: never[] = [];
