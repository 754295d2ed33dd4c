// Periodic /proc sampler: the target's process tree (root + descendants by ppid), orphans carrying the
// run marker, fds by kind, TCP sockets owned by the tree (by inode), RSS and CPU → one TimelinePoint per
// sample, plus peaks and first-seen times for evidence.
//
// Two depths of sample. sampleNow() is always *full*: fresh stat and fd link targets of every process and
// fresh TCP tables. The periodic timer takes *adaptive* samples, which keep the cost near 1–2 % of a core
// (bench/sampler-cost.ts):
//  - /proc is listed once (not at all when /proc/loadavg says no process was created since the previous
//    sample); stat is read for tree members, orphans and *new* pids only. A pid classified as outside the
//    tree and unmarked is not read again while it stays listed and is not in the range of pids allocated
//    since the previous sample (pid-allocation.ts): a process outside the tree never moves into it
//    (reparenting only goes up, to init or a subreaper ancestor);
//  - an idle member (no CPU since its previous read, same non-zero fd count) keeps its stat for up to
//    statRefreshMs (0.5 s): non-Z state, RSS and CPU of idle processes may be that old; zombies and
//    reparenting are still seen at once;
//  - a process's fd links are re-read only when its fd count changed (fstat of /proc/PID/fd gives the count
//    on Linux ≥ 6.2), when it is new, or when its list is older than fdRefreshMs (2 s; 10 s for an idle
//    process): this catches a number closed and reused between two samples;
//  - /proc/net/tcp{,6} is re-read when its last read is older than (its CPU cost / netBudget), at most 10 s:
//    reading them walks the whole kernel TCP hash table (262144 buckets here: 2–5 ms per table however few
//    sockets exist) and formats every row of the namespace (TIME_WAIT included: 20k rows cost ~50 ms of
//    CPU); in between, states are carried over from the last read (Sample.netT says when), and
//    sockets newer than that read are not listed yet.
//  - the tree's proportional set size (/proc/PID/smaps_rollup Pss: shared pages counted once, which a sum of
//    RSS over a forking server's tree is not) costs ~0.5 ms per Node process (the kernel walks its page
//    tables), and the load generators share this thread: it is read when the last read is older than (its
//    CPU cost / pssBudget), at most 5 s; an adaptive sample reads a slice of at most PSS_SLICE_MS, least
//    recently read members first, a full sample every member. The tree's PSS is the sum of each live member's
//    latest reading: a member born since the last read is not in it yet (short-lived children rarely are).
// /proc/PID/task/*/children is not used: the sampler needs every member's stat anyway, and a Node process
// has ~10 threads to read.
import { performance } from 'node:perf_hooks';
import type { TimelinePoint } from '../../model/report.js';
import { formatCmdline } from './parse-cmdline.js';
import { compactTimeline, TIMELINE_LIMITS, type TimelineLimits } from './timeline-window.js';
import { forkedWithoutExec } from './parse-stat.js';
import { mayBeNewPid } from './pid-allocation.js';
import { clkTck, countFds, hasMarker, listPids, pageSizeBytes, readCmdline, readFds, readLastPid, readPssBytes, readStat, readTcpTable, ProcHandles, type TcpTable } from './proc-reader.js';
import { processKey, type FdEntry, type FdKind, type OwnedSocket, type ProcStat, type ProcessSnapshot, type Sample, type TcpRow, type ZombieSpan } from './types.js';

export interface SamplerOptions {
  /** the target process (its process-group leader) */
  rootPid: number;
  /** env var set at launch; finds reparented orphans */
  marker: { name: string; value: string };
  /** default 100 (10 Hz) */
  intervalMs: number;
  /** cmdline patterns of users' infrastructure processes: excluded everywhere (with their subtree) */
  ignore?: RegExp[];
  /** ms since run start (default: since construction) */
  now?: () => number;
  /** adaptive samples re-read a process's unchanged-count fd list after this long (default 2000) */
  fdRefreshMs?: number;
  /** adaptive samples re-read an idle process's stat after this long (default 500) */
  statRefreshMs?: number;
  /** adaptive samples spend at most this share of wall time reading TCP tables (default 0.005 = 0.5 %) */
  netBudget?: number;
  /** samples spend at most this share of wall time reading the tree's PSS (default 0.002 = 0.2 %) */
  pssBudget?: number;
  /**
   * Set when this process is a child subreaper (subreaper.ts): whether a process outside the tree was
   * reparented to us from it (an orphan of the target's tree even without the marker), given the root's start.
   */
  adopted?: (stat: ProcStat, rootStart: number) => boolean;
  /** how much timeline to keep (tests shrink it) */
  timelineLimits?: TimelineLimits;
}

export interface SamplerPeaks {
  children: number;
  fds: number;
  rssBytes: number;
  /** largest tree PSS among the samples that read it; null when it could never be read */
  pssBytes: number | null;
  closeWait: number;
  /** t of the first sample that reached the children peak */
  childrenAt: number | null;
}

/** What the sampler remembers about one pid between samples. */
interface PidInfo {
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
  /** fd list of the last link read, with the count seen then and when */
  fds: FdEntry[] | null;
  fdCount: number;
  fdsReadAt: number;
  /** last stat read, when, and whether the process used no CPU between its last two reads */
  stat: ProcStat | null;
  statAt: number;
  idle: boolean;
  /** fd count taken in sample number countGeneration (saves a second look in fdsOf) */
  count: number | null | undefined;
  countGeneration: number;
}

const FD_KINDS: readonly FdKind[] = ['socket', 'pipe', 'file', 'other'];
/** adaptive samples never carry socket states older than this, whatever the budget says */
const MAX_NET_AGE_MS = 10_000;
/** idle processes' unchanged-count fd lists are re-read this many times less often */
const IDLE_FD_REFRESH_FACTOR = 5;
/** an adaptive sample stops reading smaps_rollup after this long (the rest waits for the next slice) */
const PSS_SLICE_MS = 2;
/** PSS reads are never further apart than this */
const MAX_PSS_INTERVAL_MS = 5_000;

export class Sampler {
  private points: TimelinePoint[] = [];
  private readonly timelineLimits: TimelineLimits;
  /** the timeline so far, bounded for runs of any length (timeline-window.ts) */
  get timeline(): readonly TimelinePoint[] {
    return this.points;
  }
  /** sampling errors caught by the periodic timer (never thrown out of it) */
  errors = 0;
  lastError: unknown = null;

  private readonly opts: Required<Omit<SamplerOptions, 'adopted' | 'timelineLimits'>> & Pick<SamplerOptions, 'adopted'>;
  private readonly selfPid = process.pid;
  /** the root's starttime (clock ticks): an adopted orphan of this run was born after it */
  private rootStart: number | undefined;
  private readonly ticksPerSecond = clkTck();
  private readonly pageSize = pageSizeBytes();
  private timer: NodeJS.Timeout | null = null;
  /** open /proc handles of tree members and orphans, only while the periodic timer runs (stop() closes them) */
  private handles: ProcHandles | null = null;
  private generation = 0;
  private readonly pids = new Map<number, PidInfo>();
  private rootKey: string | null = null;
  private last: Sample | null = null;
  private maxChildren: Sample | null = null;
  private readonly firstSeenAt = new Map<string, number>();
  private readonly orphanSnapshots = new Map<string, ProcessSnapshot>();
  /** every descendant seen as a zombie: from its first to its last sample in state Z (the zombie bound judges it) */
  private readonly zombieSpanByKey = new Map<string, ZombieSpan>();
  private readonly descendantKeys = new Set<string>();
  private readonly peakValues: SamplerPeaks = { children: 0, fds: 0, rssBytes: 0, pssBytes: null, closeWait: 0, childrenAt: null };
  private previousCpu = new Map<string, number>();
  private previousT: number | null = null;
  private previousTreePids = new Set<number>();
  /** /proc/loadavg's last allocated pid at the previous sample, and that sample's pid listing */
  private lastPid: number | null = null;
  private listing: number[] = [];
  /** last TCP table read: rows by inode, when (t), and when the next adaptive read is due */
  private netRows = new Map<number, TcpRow>();
  private netT: number | null = null;
  private nextNetAt = 0;
  private netCostMs: number | null = null;
  /** last tree PSS (bytes; null before the first read or when unreadable), carried between reads, and when the next read is due */
  private pssBytes: number | null = null;
  /** latest reading per member: process key (pid reuse) and when */
  private readonly pssByPid = new Map<number, { key: string; bytes: number; t: number }>();
  private nextPssAt = 0;
  private pssCostMs: number | null = null;
  private primaryTable: TcpTable = 'tcp';
  private nonTcpInodes = new Set<number>();
  /** socket inodes the tree held at the last table read, the current holders, and whether the two differ */
  private netInodes = new Set<number>();
  private holders = new Map<number, { pid: number; fd: number }[]>();
  private inodesMoved = true;
  private previousFdLists: FdEntry[][] = [];
  private previousSockets: OwnedSocket[] = [];
  /** fd lists already counted into first-seen (an unchanged list is the same array from sample to sample) */
  private readonly recordedFdLists = new WeakSet<FdEntry[]>();
  private readonly fdKindCounts = new WeakMap<FdEntry[], Record<FdKind, number>>();
  /** counters for the bench and for debugging */
  readonly stats = { samples: 0, fullSamples: 0, fdListReads: 0, netReads: 0, netMs: 0, netCpuMs: 0, pssReads: 0, pssCpuMs: 0 };

  constructor(opts: SamplerOptions) {
    const start = performance.now();
    this.opts = {
      rootPid: opts.rootPid,
      marker: opts.marker,
      intervalMs: opts.intervalMs > 0 ? opts.intervalMs : 100,
      ignore: opts.ignore ?? [],
      now: opts.now ?? (() => performance.now() - start),
      fdRefreshMs: opts.fdRefreshMs ?? 2000,
      netBudget: opts.netBudget ?? 0.005,
      pssBudget: opts.pssBudget ?? 0.002,
      statRefreshMs: opts.statRefreshMs ?? 500,
      adopted: opts.adopted,
    };
    this.timelineLimits = opts.timelineLimits ?? TIMELINE_LIMITS;
  }

  start(): void {
    if (this.timer) return;
    this.handles = new ProcHandles();
    this.tick();
    // unref: a forgotten sampler must not keep the harness alive on its own
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.handles?.close();
    this.handles = null;
  }

  latest(): Sample | null {
    return this.last;
  }

  firstSeen(key: string): number | null {
    return this.firstSeenAt.get(key) ?? null;
  }

  peaks(): SamplerPeaks {
    return { ...this.peakValues };
  }

  /** descendants seen as zombies, with how long each was seen so */
  zombieSpans(): ZombieSpan[] {
    return [...this.zombieSpanByKey.values()];
  }

  /** when a descendant was first seen as a zombie (ms since run start), or null */
  zombieSince(pid: number, starttime: number): number | null {
    return this.zombieSpanByKey.get(processKey({ pid, starttime }))?.firstMs ?? null;
  }

  /** distinct descendants (depth ≥ 1) seen in any sample: the children the run saw start */
  descendantsSeen(): number {
    return this.descendantKeys.size;
  }

  orphansSeen(): ProcessSnapshot[] {
    return [...this.orphanSnapshots.values()];
  }

  maxChildrenSample(): Sample | null {
    return this.maxChildren;
  }

  private tick(): void {
    try {
      this.sample('adaptive');
    } catch (error) {
      this.errors++;
      this.lastError = error;
    }
  }

  /** Take one full sample now (every fd link, fresh TCP tables); recorded like any other. */
  sampleNow(): Sample {
    return this.sample('full');
  }

  /** What the periodic timer takes; public for the bench. */
  sample(depth: 'full' | 'adaptive'): Sample {
    const full = depth === 'full';
    const t = this.opts.now();
    this.stats.samples++;
    if (full) this.stats.fullSamples++;
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
    const sockets = this.ownedSockets(tree, t, full);
    if (t >= this.nextPssAt) this.readTreePss(tree, t, full);
    const sample: Sample = { t, tree, orphans, sockets, netT: this.netT };
    this.record(sample);
    return sample;
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
      this.keepStat(info, stat, t);
      info.listed = generation;
      stats.set(pid, stat);
    }
    for (const pid of reused) {
      const ppid = stats.get(pid)!.ppid;
      if (ppid === this.selfPid) continue;
      const parent = stats.get(ppid);
      if (parent && parent.state !== 'Z') continue;
      const stat = this.handles!.stat(pid);
      if (stat) this.keepStat(this.pids.get(pid)!, stat, t);
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

  private keepStat(info: PidInfo, stat: ProcStat, t: number): void {
    info.idle = info.stat !== null && info.stat.utimeTicks + info.stat.stimeTicks === stat.utimeTicks + stat.stimeTicks;
    info.stat = stat;
    info.statAt = t;
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

  /** Outside the tree: carries the marker, was in the tree before (reparented away), or was adopted by us. */
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
      fds: stat.state === 'Z' ? [] : this.fdsOf(stat.pid, info, t, full),
      rssBytes: (stat.rssPages ?? 0) * this.pageSize,
      cpuTicks: stat.utimeTicks + stat.stimeTicks,
    };
  }

  private fdsOf(pid: number, info: PidInfo, t: number, full: boolean): FdEntry[] {
    // a process that used no CPU since its last stat had little chance to swap one fd for another
    const refreshAfter = info.idle ? IDLE_FD_REFRESH_FACTOR * this.opts.fdRefreshMs : this.opts.fdRefreshMs;
    const fresh = info.fds !== null && t - info.fdsReadAt < refreshAfter;
    if (!full && fresh) {
      const count = info.countGeneration === this.generation ? info.count : this.handles ? this.handles.fdCount(pid) : countFds(pid);
      if (count === null) return info.fds!; // gone since its stat was read: last known list
      if (count === info.fdCount) return info.fds!;
    }
    const fds = readFds(pid) ?? info.fds ?? [];
    this.stats.fdListReads++;
    info.fds = fds;
    info.fdCount = fds.length;
    info.fdsReadAt = t;
    return fds;
  }

  /**
   * One entry per (pid, fd) of the tree holding a TCP socket: a socket shared by two processes appears twice.
   * Sockets are matched by inode against the TCP tables (fresh on full samples, by budget on adaptive ones).
   */
  private ownedSockets(tree: ProcessSnapshot[], t: number, full: boolean): OwnedSocket[] {
    // nothing to redo when no fd list was re-read, the tree kept its members and the tables were not re-read
    const fdLists = tree.map((p) => p.fds);
    const unchanged = fdLists.length === this.previousFdLists.length && fdLists.every((fds, i) => fds === this.previousFdLists[i]);
    this.previousFdLists = fdLists;
    if (!unchanged) {
      const holders = new Map<number, { pid: number; fd: number }[]>();
      for (const p of tree) {
        for (const fd of p.fds) {
          if (fd.kind !== 'socket' || fd.inode === null) continue;
          const list = holders.get(fd.inode);
          if (list) list.push({ pid: p.pid, fd: fd.fd });
          else holders.set(fd.inode, [{ pid: p.pid, fd: fd.fd }]);
        }
      }
      this.holders = holders;
      this.inodesMoved = holders.size !== this.netInodes.size || [...holders.keys()].some((inode) => !this.netInodes.has(inode));
    }
    // adaptive samples re-read the tables within the budget when the owned sockets changed since the last
    // read; an unchanged set only once the last read is MAX_NET_AGE_MS old (a state change of a socket that
    // stays owned, e.g. ESTABLISHED → CLOSE_WAIT, shows in the timeline within that bound; full samples
    // always read fresh tables)
    const due = t >= this.nextNetAt && (this.inodesMoved || this.netT === null || t - this.netT >= MAX_NET_AGE_MS);
    const readTables = full || due;
    if (unchanged && !readTables) return this.previousSockets;

    const holders = this.holders;
    if (holders.size > 0 && readTables) this.readTcpTables(tree, holders, t, full);
    const sockets: OwnedSocket[] = [];
    for (const [inode, list] of holders) {
      const row = this.netRows.get(inode);
      if (row) for (const holder of list) sockets.push({ ...row, ...holder });
    }
    this.previousSockets = sockets;
    return sockets;
  }

  /**
   * Each table read walks the kernel's whole TCP hash, so an adaptive sample reads the table that held the
   * tree's sockets last time first, and the other only when some owned socket inode is still unaccounted
   * for. Inodes found in neither table (Unix sockets such as Node's IPC channel, UDP) are remembered as
   * non-TCP; full samples read both tables and re-learn that set.
   */
  private readTcpTables(tree: ProcessSnapshot[], holders: Map<number, unknown>, t: number, full: boolean): void {
    const root = tree[0];
    const netnsPid = root && root.depth === 0 ? root.pid : 'self';
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const wanted = new Set(holders.keys());
    const rows = new Map<number, TcpRow>();
    const order: TcpTable[] = this.primaryTable === 'tcp' ? ['tcp', 'tcp6'] : ['tcp6', 'tcp'];
    const hits = { tcp: 0, tcp6: 0 };
    for (const [i, table] of order.entries()) {
      // the primary table is always read (a socket caught before connect() can be wrongly taken as non-TCP)
      const pending = i === 0 || [...wanted].some((inode) => !rows.has(inode) && (full || !this.nonTcpInodes.has(inode)));
      if (!pending) break;
      for (const row of readTcpTable(netnsPid, table, wanted)) {
        rows.set(row.inode, row);
        hits[table]++;
      }
      this.stats.netReads++;
    }
    if (hits.tcp !== hits.tcp6) this.primaryTable = hits.tcp > hits.tcp6 ? 'tcp' : 'tcp6';
    // owned sockets in neither table; rebuilt from the current owners, so closed ones are forgotten
    this.nonTcpInodes = new Set([...wanted].filter((inode) => !rows.has(inode)));
    this.netInodes = wanted;
    this.inodesMoved = false;
    this.stats.netMs += performance.now() - started;
    this.netRows = rows;
    this.netT = t;
    // the budget is CPU (wall time of a read on a loaded machine is mostly waiting for a core), smoothed
    const cpu = process.cpuUsage(cpuBefore);
    const cost = (cpu.user + cpu.system) / 1000;
    this.stats.netCpuMs += cost;
    this.netCostMs = this.netCostMs === null ? cost : 0.7 * this.netCostMs + 0.3 * cost;
    this.nextNetAt = t + Math.min(MAX_NET_AGE_MS, this.netCostMs / this.opts.netBudget);
  }

  /**
   * Read members' Pss (all of them on a full sample, a slice otherwise), then sum the latest reading of each live
   * member (a zombie has no memory left); null when no member has been read.
   */
  private readTreePss(tree: ProcessSnapshot[], t: number, full: boolean): void {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const live = tree.filter((p) => p.state !== 'Z');
    const lastRead = (p: ProcessSnapshot): number => this.pssByPid.get(p.pid)?.t ?? Number.NEGATIVE_INFINITY;
    const order = full ? live : [...live].sort((a, b) => lastRead(a) - lastRead(b));
    for (const p of order) {
      if (!full && performance.now() - started >= PSS_SLICE_MS) break;
      const bytes = readPssBytes(p.pid);
      // null: exited since its stat was read, or not ours to read
      if (bytes !== null) this.pssByPid.set(p.pid, { key: this.keyOf(p), bytes, t });
    }
    let total = 0;
    let known = 0;
    const members = new Set<number>();
    for (const p of live) {
      members.add(p.pid);
      const reading = this.pssByPid.get(p.pid);
      if (reading === undefined || reading.key !== this.keyOf(p)) continue; // a reused pid: not this process's
      total += reading.bytes;
      known++;
    }
    for (const pid of this.pssByPid.keys()) if (!members.has(pid)) this.pssByPid.delete(pid);
    this.pssBytes = known > 0 ? total : null;
    const cpu = process.cpuUsage(cpuBefore);
    const cost = (cpu.user + cpu.system) / 1000;
    this.stats.pssReads++;
    this.stats.pssCpuMs += cost;
    this.pssCostMs = this.pssCostMs === null ? cost : 0.7 * this.pssCostMs + 0.3 * cost;
    this.nextPssAt = t + Math.min(MAX_PSS_INTERVAL_MS, this.pssCostMs / this.opts.pssBudget);
  }

  /** processKey(p), without building the string again for a process the sampler already knows */
  private keyOf(p: ProcessSnapshot): string {
    const info = this.pids.get(p.pid);
    return info !== undefined && info.stat !== null && info.stat.starttime === p.starttime ? info.key : processKey(p);
  }

  private record(sample: Sample): void {
    const { t, tree, orphans, sockets } = sample;
    const fdsByKind = { socket: 0, pipe: 0, file: 0, other: 0 };
    let children = 0;
    let zombies = 0;
    let rssBytes = 0;
    let cpuTicks = 0;
    const cpu = new Map<string, number>();
    for (const p of tree) {
      const key = this.keyOf(p);
      if (!this.firstSeenAt.has(key)) this.firstSeenAt.set(key, t);
      if (p.depth >= 1) {
        this.descendantKeys.add(key);
        if (p.state === 'Z') {
          zombies++;
          const span = this.zombieSpanByKey.get(key);
          if (span) {
            span.lastMs = t;
            span.process = p;
          } else this.zombieSpanByKey.set(key, { process: p, firstMs: t, lastMs: t });
        } else children++;
      }
      let kinds = this.fdKindCounts.get(p.fds);
      if (!kinds) {
        kinds = { socket: 0, pipe: 0, file: 0, other: 0 };
        for (const fd of p.fds) kinds[fd.kind]++;
        this.fdKindCounts.set(p.fds, kinds);
      }
      for (const kind of FD_KINDS) fdsByKind[kind] += kinds[kind];
      if (!this.recordedFdLists.has(p.fds)) {
        this.recordedFdLists.add(p.fds);
        for (const fd of p.fds) {
          const fdKey = `${key}#fd${fd.fd}=${fd.target}`;
          if (!this.firstSeenAt.has(fdKey)) this.firstSeenAt.set(fdKey, t);
        }
      }
      rssBytes += p.rssBytes;
      cpu.set(key, p.cpuTicks);
      // a process born since the previous point spent all its ticks in this interval
      cpuTicks += Math.max(0, p.cpuTicks - (this.previousCpu.get(key) ?? 0));
    }
    for (const p of orphans) {
      const key = processKey(p);
      if (!this.firstSeenAt.has(key)) this.firstSeenAt.set(key, t);
      this.orphanSnapshots.set(key, p);
    }
    const socketStates: Record<string, number> = {};
    const countedInodes = new Set<number>();
    for (const s of sockets) {
      const sockKey = `sock:${s.inode}`;
      if (!this.firstSeenAt.has(sockKey)) this.firstSeenAt.set(sockKey, t);
      if (countedInodes.has(s.inode)) continue; // the same socket held by several fds counts once
      countedInodes.add(s.inode);
      socketStates[s.state] = (socketStates[s.state] ?? 0) + 1;
    }
    const elapsedMs = this.previousT === null ? 0 : t - this.previousT;
    const cpuPct = elapsedMs > 0 ? ((cpuTicks / this.ticksPerSecond) * 1000 * 100) / elapsedMs : 0;
    this.previousCpu = cpu;
    this.previousT = t;

    const fds = FD_KINDS.reduce((sum, kind) => sum + fdsByKind[kind], 0);
    this.points.push({
      t,
      children,
      zombies,
      orphans: orphans.length,
      fds,
      fdsByKind,
      sockets: socketStates,
      rssBytes,
      pssBytes: this.pssBytes,
      cpuPct: Math.round(cpuPct * 10) / 10,
    });
    // compacted to three quarters of the budget when it fills: amortized, one fold per quarter-budget of samples
    if (this.points.length > this.timelineLimits.maxPoints) {
      this.points = compactTimeline(this.points, { ...this.timelineLimits, maxPoints: Math.floor((this.timelineLimits.maxPoints * 3) / 4) });
    }

    const peaks = this.peakValues;
    if (this.maxChildren === null || children > peaks.children) {
      this.maxChildren = sample;
      peaks.children = children;
      peaks.childrenAt = t;
    }
    peaks.fds = Math.max(peaks.fds, fds);
    peaks.rssBytes = Math.max(peaks.rssBytes, rssBytes);
    if (this.pssBytes !== null) peaks.pssBytes = Math.max(peaks.pssBytes ?? 0, this.pssBytes);
    peaks.closeWait = Math.max(peaks.closeWait, socketStates['CLOSE_WAIT'] ?? 0);
    this.last = sample;
  }
}
