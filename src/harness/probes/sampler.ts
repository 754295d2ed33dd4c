// Periodic /proc sampler: the target's process tree (root + descendants by ppid), orphans carrying the
// run marker, fds by kind, TCP sockets owned by the tree (by inode), RSS and CPU → one TimelinePoint per
// sample, plus peaks and first-seen times for evidence.
//
// Cost model (bench/sampler-cost.ts): per sample it lists /proc once, reads stat of tree members, orphans
// and *new* pids only, and the fd directory of tree members and orphans. A pid classified as "outside the
// tree and unmarked" is not read again while it stays listed: a process outside the tree can never move
// into it (reparenting only goes up, to init or a subreaper ancestor), and a pid cannot be reused between
// two consecutive listings (that takes pid_max forks in one interval). /proc/PID/task/*/children is not
// used: the sampler needs every member's stat anyway, and a Node process has ~10 threads to read.
import { performance } from 'node:perf_hooks';
import type { TimelinePoint } from '../../report/schema.js';
import { formatCmdline } from './parse-cmdline.js';
import { clkTck, hasMarker, listPids, pageSizeBytes, readCmdline, readFds, readNetTcp, readStat } from './proc-reader.js';
import { processKey, type FdEntry, type FdKind, type OwnedSocket, type ProcStat, type ProcessSnapshot, type Sample } from './types.js';

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
}

export interface SamplerPeaks {
  children: number;
  fds: number;
  rssBytes: number;
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
  /** the cmdline is trusted once two consecutive reads agree (a fresh fork shows its parent's argv until exec) */
  cmdlineStable: boolean;
}

const FD_KINDS: readonly FdKind[] = ['socket', 'pipe', 'file', 'other'];

export class Sampler {
  readonly timeline: TimelinePoint[] = [];
  /** sampling errors caught by the periodic timer (never thrown out of it) */
  errors = 0;
  lastError: unknown = null;

  private readonly opts: Required<Omit<SamplerOptions, 'now'>> & { now: () => number };
  private readonly selfPid = process.pid;
  private readonly ticksPerSecond = clkTck();
  private readonly pageSize = pageSizeBytes();
  private timer: NodeJS.Timeout | null = null;
  private generation = 0;
  private readonly pids = new Map<number, PidInfo>();
  private rootKey: string | null = null;
  private last: Sample | null = null;
  private maxChildren: Sample | null = null;
  private readonly firstSeenAt = new Map<string, number>();
  private readonly orphanSnapshots = new Map<string, ProcessSnapshot>();
  private readonly peakValues: SamplerPeaks = { children: 0, fds: 0, rssBytes: 0, closeWait: 0, childrenAt: null };
  private previousCpu = new Map<string, number>();
  private previousT: number | null = null;
  private previousTreePids = new Set<number>();

  constructor(opts: SamplerOptions) {
    const start = performance.now();
    this.opts = {
      rootPid: opts.rootPid,
      marker: opts.marker,
      intervalMs: opts.intervalMs > 0 ? opts.intervalMs : 100,
      ignore: opts.ignore ?? [],
      now: opts.now ?? (() => performance.now() - start),
    };
  }

  start(): void {
    if (this.timer) return;
    this.tick();
    // unref: a forgotten sampler must not keep the harness alive on its own
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
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

  orphansSeen(): ProcessSnapshot[] {
    return [...this.orphanSnapshots.values()];
  }

  maxChildrenSample(): Sample | null {
    return this.maxChildren;
  }

  private tick(): void {
    try {
      this.sampleNow();
    } catch (error) {
      this.errors++;
      this.lastError = error;
    }
  }

  sampleNow(): Sample {
    const t = this.opts.now();
    const generation = ++this.generation;
    const stats = this.readChangingStats(generation);

    const { tree, ignoredPids } = this.buildTree(stats);
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
      orphans.push(this.snapshot(stat, cmdline, -1));
    }

    this.previousTreePids = inTree;
    const sockets = this.ownedSockets(tree);
    const sample: Sample = { t, tree, orphans, sockets };
    this.record(sample);
    return sample;
  }

  /** stat of every listed pid except settled outsiders and the harness itself; forgets pids no longer listed. */
  private readChangingStats(generation: number): Map<number, ProcStat> {
    const stats = new Map<number, ProcStat>();
    for (const pid of listPids()) {
      if (pid === this.selfPid) continue;
      let info = this.pids.get(pid);
      if (info && info.listed === generation - 1 && info.settled) {
        info.listed = generation;
        continue;
      }
      const stat = readStat(pid);
      if (!stat) continue; // vanished
      const key = processKey(stat);
      if (!info || info.key !== key || info.listed !== generation - 1) {
        info = { key, comm: stat.comm, listed: generation, settled: false, unmarkedReads: 0, orphan: false, wasInTree: false, cmdline: null, cmdlineStable: false };
        this.pids.set(pid, info);
      }
      info.listed = generation;
      stats.set(pid, stat);
    }
    for (const [pid, info] of this.pids) if (info.listed !== generation) this.pids.delete(pid);
    return stats;
  }

  private buildTree(stats: Map<number, ProcStat>): { tree: ProcessSnapshot[]; ignoredPids: Set<number> } {
    const tree: ProcessSnapshot[] = [];
    const ignoredPids = new Set<number>();
    const root = stats.get(this.opts.rootPid);
    if (!root) return { tree, ignoredPids };
    const rootKey = processKey(root);
    this.rootKey ??= rootKey;
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
      else tree.push(this.snapshot(stat, cmdline, depth));
      for (const child of childrenOf.get(pid) ?? []) {
        if (child !== this.selfPid) queue.push({ pid: child, depth: depth + 1, ignored });
      }
    }
    return { tree, ignoredPids };
  }

  /** Outside the tree: carries the marker, or was in the tree before (reparented away). */
  private isOrphan(pid: number, stat: ProcStat, info: PidInfo): boolean {
    if (info.orphan) return true;
    if (info.wasInTree) {
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
    // unmarked (or unreadable: zombie, gone): settle after two consistent reads, since a fresh fork
    // shows its parent's environment until it execs
    info.unmarkedReads++;
    if (info.unmarkedReads >= 2) info.settled = true;
    return false;
  }

  private cmdlineOf(pid: number, stat: ProcStat, info: PidInfo): string {
    if (info.comm !== stat.comm) {
      // exec'd since the last read
      info.comm = stat.comm;
      info.cmdlineStable = false;
    }
    if (info.cmdlineStable && info.cmdline !== null) return info.cmdline;
    const args = readCmdline(pid);
    const text = args && args.length > 0 ? formatCmdline(args) : `[${stat.comm}]`;
    // zombies and exiting processes read as empty: keep the last real cmdline
    if (args === null || args.length === 0) return info.cmdline ?? text;
    info.cmdlineStable = info.cmdline === text;
    info.cmdline = text;
    return text;
  }

  private isIgnored(cmdline: string): boolean {
    return this.opts.ignore.some((pattern) => pattern.test(cmdline));
  }

  private snapshot(stat: ProcStat, cmdline: string, depth: number): ProcessSnapshot {
    // a zombie has no fds and no memory; its fd directory is unreadable anyway
    const fds: FdEntry[] = stat.state === 'Z' ? [] : (readFds(stat.pid) ?? []);
    return {
      pid: stat.pid,
      starttime: stat.starttime,
      ppid: stat.ppid,
      pgrp: stat.pgrp,
      state: stat.state,
      cmdline,
      depth,
      fds,
      rssBytes: (stat.rssPages ?? 0) * this.pageSize,
      cpuTicks: stat.utimeTicks + stat.stimeTicks,
    };
  }

  /** One entry per (pid, fd) of the tree holding a TCP socket: a socket shared by two processes appears twice. */
  private ownedSockets(tree: ProcessSnapshot[]): OwnedSocket[] {
    const holders = new Map<number, { pid: number; fd: number }[]>();
    for (const p of tree) {
      for (const fd of p.fds) {
        if (fd.kind !== 'socket' || fd.inode === null) continue;
        const list = holders.get(fd.inode);
        if (list) list.push({ pid: p.pid, fd: fd.fd });
        else holders.set(fd.inode, [{ pid: p.pid, fd: fd.fd }]);
      }
    }
    if (holders.size === 0) return [];
    const root = tree[0];
    const netnsPid = root && root.depth === 0 ? root.pid : 'self';
    const sockets: OwnedSocket[] = [];
    for (const row of readNetTcp(netnsPid, new Set(holders.keys()))) {
      for (const holder of holders.get(row.inode) ?? []) sockets.push({ ...row, ...holder });
    }
    return sockets;
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
      const key = processKey(p);
      if (!this.firstSeenAt.has(key)) this.firstSeenAt.set(key, t);
      if (p.depth >= 1) {
        if (p.state === 'Z') zombies++;
        else children++;
      }
      for (const fd of p.fds) {
        fdsByKind[fd.kind]++;
        const fdKey = `${key}#fd${fd.fd}=${fd.target}`;
        if (!this.firstSeenAt.has(fdKey)) this.firstSeenAt.set(fdKey, t);
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
    this.timeline.push({
      t,
      children,
      zombies,
      orphans: orphans.length,
      fds,
      fdsByKind,
      sockets: socketStates,
      rssBytes,
      cpuPct: Math.round(cpuPct * 10) / 10,
    });

    const peaks = this.peakValues;
    if (this.maxChildren === null || children > peaks.children) {
      this.maxChildren = sample;
      peaks.children = children;
      peaks.childrenAt = t;
    }
    peaks.fds = Math.max(peaks.fds, fds);
    peaks.rssBytes = Math.max(peaks.rssBytes, rssBytes);
    peaks.closeWait = Math.max(peaks.closeWait, socketStates['CLOSE_WAIT'] ?? 0);
    this.last = sample;
  }
}
