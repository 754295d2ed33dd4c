// Periodic /proc sampler: the target's process tree (root + descendants by ppid), orphans carrying the
// run marker, fds by kind, TCP sockets owned by the tree (by inode), RSS and CPU → one TimelinePoint per
// sample, plus peaks and first-seen times for evidence. This file is the orchestration; each part is its own
// module:
//  - process-table.ts: the /proc scan and pid cache (tree, orphans, ignored subtrees, stat reuse), or process
//    events (proc-events.ts) and idle looks (CPU clock, schedstat) where permitted; it hands over the tree's delta;
//  - fd-cache.ts: when a process's fd links are read again;
//  - tcp-budget.ts: the owned TCP sockets, tables read within a CPU budget;
//  - pss-budget.ts: the tree's PSS, read within a CPU budget;
//  - sample-fold.ts: the pure fold of a sample into its timeline point and the peaks;
//  - sample-evidence.ts: first-seen times, zombie spans, descendants and orphans seen;
//  - timeline-window.ts: the bounded timeline.
//
// Two depths of sample. sampleNow() is always *full*: fresh stat and fd link targets of every process and
// fresh TCP tables and PSS of every member. The periodic timer takes *adaptive* samples: cached stat, fd lists
// and socket states as each module above describes, driven by process events where the kernel permits
// (proc-events.ts; docs/sampler.md has the bounds and the cost: ≤ 1 % of a core at 100 processes, ≤ 3 % at 1 000).
// The bookkeeping (sample-evidence.ts, sample-fold.ts's foldDelta) works from the tree's delta since the previous
// sample, so its cost follows what changed.
import { performance } from 'node:perf_hooks';
import type { TimelinePoint } from '../../model/report.js';
import { compactTimeline, TIMELINE_LIMITS, type TimelineLimits } from './timeline-window.js';
import { clkTck } from './proc-reader.js';
import { ProcessTable } from './process-table.js';
import { TcpBudget } from './tcp-budget.js';
import { PssBudget } from './pss-budget.js';
import { SampleEvidence } from './sample-evidence.js';
import { countKinds, foldDelta, foldPeaks, NO_PEAKS, NO_SUMS, type SamplerPeaks, type TreeSums } from './sample-fold.js';
import { processKey, type FdEntry, type FdKind, type ProcStat, type ProcessSnapshot, type Sample, type ZombieSpan } from './types.js';

export type { SamplerPeaks } from './sample-fold.js';

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
  /**
   * Track the tree by process events (the proc connector) while the periodic timer runs, where the kernel
   * permits it (default true); false: scan /proc every sample (the plain sampler, which tests compare it with).
   */
  events?: boolean;
  /** with events, the periodic listing of /proc that checks them runs every this long (default 2000) */
  checkMs?: number;
  /**
   * with events, what says an idle process did not run (proc-handles.ts's activity): 'runtime' (default, the
   * thread group's CPU clock where the native addon reads it) or 'schedstat' (the leader's: single-threaded
   * processes only); the bench and tests compare them
   */
  idleLook?: 'runtime' | 'schedstat';
  /** how much timeline to keep (tests shrink it) */
  timelineLimits?: TimelineLimits;
}

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
  /** counters for the bench and for debugging */
  readonly stats = { samples: 0, fullSamples: 0, fdListReads: 0, netReads: 0, netMs: 0, netCpuMs: 0, pssReads: 0, pssCpuMs: 0 };

  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly ticksPerSecond = clkTck();
  private timer: NodeJS.Timeout | null = null;
  private readonly table: ProcessTable;
  private readonly tcp: TcpBudget;
  private readonly pss: PssBudget;
  private readonly evidence = new SampleEvidence();
  private last: Sample | null = null;
  private maxChildren: Sample | null = null;
  private peakValues: SamplerPeaks = { ...NO_PEAKS };
  private sums: TreeSums = NO_SUMS;
  /** fd counts by kind per list (an unchanged list is the same array from sample to sample) */
  private readonly fdKindCounts = new WeakMap<readonly FdEntry[], Record<FdKind, number>>();
  private readonly kindsOf = (fds: readonly FdEntry[]): Record<FdKind, number> => {
    let kinds = this.fdKindCounts.get(fds);
    if (!kinds) {
      kinds = countKinds(fds);
      this.fdKindCounts.set(fds, kinds);
    }
    return kinds;
  };

  constructor(opts: SamplerOptions) {
    const start = performance.now();
    this.intervalMs = opts.intervalMs > 0 ? opts.intervalMs : 100;
    this.now = opts.now ?? (() => performance.now() - start);
    this.table = new ProcessTable(
      {
        rootPid: opts.rootPid,
        marker: opts.marker,
        ignore: opts.ignore ?? [],
        fdRefreshMs: opts.fdRefreshMs ?? 2000,
        statRefreshMs: opts.statRefreshMs ?? 500,
        adopted: opts.adopted,
        events: opts.events ?? true,
        checkMs: opts.checkMs ?? 2000,
        idleLook: opts.idleLook ?? 'runtime',
      },
      this.stats,
    );
    this.tcp = new TcpBudget(opts.netBudget ?? 0.005, this.stats);
    this.pss = new PssBudget(opts.pssBudget ?? 0.002, this.stats);
    this.timelineLimits = opts.timelineLimits ?? TIMELINE_LIMITS;
  }

  start(): void {
    if (this.timer) return;
    this.table.openHandles();
    this.tick();
    // unref: a forgotten sampler must not keep the harness alive on its own
    this.timer = setInterval(() => this.tick(), this.intervalMs).unref();
  }

  /** null while process events drive the periodic samples, else why not ('not started', 'off', the error) */
  get eventsUnavailable(): string | null {
    return this.table.eventsUnavailable;
  }

  /** the process table's counters: samples driven by events, listings of /proc, stat reads, events, losses */
  get tableCounters(): Readonly<ProcessTable['counters']> {
    return this.table.counters;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.table.closeHandles();
  }

  latest(): Sample | null {
    return this.last;
  }

  firstSeen(key: string): number | null {
    return this.evidence.firstSeenAt.get(key) ?? null;
  }

  peaks(): SamplerPeaks {
    return { ...this.peakValues };
  }

  /** descendants seen as zombies, with how long each was seen so */
  zombieSpans(): ZombieSpan[] {
    return [...this.evidence.zombieSpanByKey.values()];
  }

  /** when a descendant was first seen as a zombie (ms since run start), or null */
  zombieSince(pid: number, starttime: number): number | null {
    return this.evidence.zombieSpanByKey.get(processKey({ pid, starttime }))?.firstMs ?? null;
  }

  /** distinct descendants (depth ≥ 1) seen in any sample: the children the run saw start */
  descendantsSeen(): number {
    return this.evidence.descendantKeys.size;
  }

  orphansSeen(): ProcessSnapshot[] {
    return [...this.evidence.orphanSnapshots.values()];
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
    const t = this.now();
    this.stats.samples++;
    if (full) this.stats.fullSamples++;
    const { tree, orphans } = this.table.scan(t, full);
    const sockets = this.tcp.ownedSockets(tree, t, full);
    const keyOf = (p: ProcessSnapshot): string => this.table.keyOf(p);
    if (this.pss.due(t)) this.pss.read(tree, t, full, keyOf);
    const sample: Sample = { t, tree, orphans, sockets, netT: this.tcp.readAt };
    this.record(sample, keyOf);
    return sample;
  }

  // the bookkeeping works from the tree's delta since the previous sample (process-table.ts): its cost follows
  // what changed, not the size of the tree
  private record(sample: Sample, keyOf: (p: ProcessSnapshot) => string): void {
    const delta = this.table.delta;
    this.evidence.recordDelta(sample, delta, keyOf);
    const { point, sums } = foldDelta(sample, delta, this.sums, {
      pssBytes: this.pss.bytes,
      ticksPerSecond: this.ticksPerSecond,
      kindsOf: this.kindsOf,
    });
    this.sums = sums;
    this.points.push(point);
    // compacted to three quarters of the budget when it fills: amortized, one fold per quarter-budget of samples
    if (this.points.length > this.timelineLimits.maxPoints) {
      this.points = compactTimeline(this.points, {
        ...this.timelineLimits,
        maxPoints: Math.floor((this.timelineLimits.maxPoints * 3) / 4),
      });
    }
    const { peaks, childrenPeak } = foldPeaks(this.peakValues, point);
    this.peakValues = peaks;
    if (childrenPeak) this.maxChildren = sample;
    this.last = sample;
  }
}
