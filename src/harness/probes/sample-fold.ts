// The pure fold of one sample into the timeline: the TimelinePoint (children, zombies, fds by kind, socket states,
// RSS, CPU since the previous point) and the running peaks. No I/O and no state of its own: what it needs from the
// previous sample (its CPU ticks per process, its t) comes in and goes out, as in autocannon's aggregateResult.
// The sampler (sampler.ts) keeps that state between samples; the first-seen bookkeeping is sample-evidence.ts.
import type { TimelinePoint } from '../../model/report.js';
import type { FdEntry, FdKind, OwnedSocket, ProcessSnapshot, Sample, TreeDelta } from './types.js';

export const FD_KINDS: readonly FdKind[] = ['socket', 'pipe', 'file', 'other'];

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

export const NO_PEAKS: Readonly<SamplerPeaks> = { children: 0, fds: 0, rssBytes: 0, pssBytes: null, closeWait: 0, childrenAt: null };

/** What the fold carries from one point to the next: each process's CPU ticks (by process key) and the point's t. */
export interface CpuCarry {
  cpu: ReadonlyMap<string, number>;
  t: number | null;
}

export const NO_CPU: CpuCarry = { cpu: new Map(), t: null };

export interface FoldInputs {
  /** process key of each tree member, in tree order (pid reuse: the key, not the pid, names a process) */
  keys: readonly string[];
  /** the tree's PSS at this sample (carried between budgeted reads) */
  pssBytes: number | null;
  ticksPerSecond: number;
  /** fd counts by kind of one list; the sampler memoizes it per list (an unchanged list is the same array) */
  kindsOf?: (fds: readonly FdEntry[]) => Record<FdKind, number>;
}

export function countKinds(fds: readonly FdEntry[]): Record<FdKind, number> {
  const kinds = { socket: 0, pipe: 0, file: 0, other: 0 };
  for (const fd of fds) kinds[fd.kind]++;
  return kinds;
}

/** The sums of one sample → its timeline point (CPU as a share of a core over the time since the previous one). */
function pointOf(
  sums: {
    t: number;
    children: number;
    zombies: number;
    orphans: number;
    fdsByKind: Record<FdKind, number>;
    socketStates: Record<string, number>;
    rssBytes: number;
    cpuTicks: number;
  },
  previousT: number | null,
  inputs: Pick<FoldInputs, 'pssBytes' | 'ticksPerSecond'>,
): TimelinePoint {
  const elapsedMs = previousT === null ? 0 : sums.t - previousT;
  const cpuPct = elapsedMs > 0 ? ((sums.cpuTicks / inputs.ticksPerSecond) * 1000 * 100) / elapsedMs : 0;
  return {
    t: sums.t,
    children: sums.children,
    zombies: sums.zombies,
    orphans: sums.orphans,
    fds: FD_KINDS.reduce((sum, kind) => sum + sums.fdsByKind[kind], 0),
    fdsByKind: sums.fdsByKind,
    sockets: sums.socketStates,
    rssBytes: sums.rssBytes,
    pssBytes: inputs.pssBytes,
    cpuPct: Math.round(cpuPct * 10) / 10,
  };
}

/** One sample → its timeline point, and the CPU carry for the next one. */
export function foldPoint(sample: Sample, previous: CpuCarry, inputs: FoldInputs): { point: TimelinePoint; carry: CpuCarry } {
  const { t, tree, orphans, sockets } = sample;
  const kindsOf = inputs.kindsOf ?? countKinds;
  const fdsByKind = { socket: 0, pipe: 0, file: 0, other: 0 };
  let children = 0;
  let zombies = 0;
  let rssBytes = 0;
  let cpuTicks = 0;
  const cpu = new Map<string, number>();
  tree.forEach((p, i) => {
    const key = inputs.keys[i]!;
    if (p.depth >= 1) {
      if (p.state === 'Z') zombies++;
      else children++;
    }
    const kinds = kindsOf(p.fds);
    for (const kind of FD_KINDS) fdsByKind[kind] += kinds[kind];
    rssBytes += p.rssBytes;
    cpu.set(key, p.cpuTicks);
    // a process born since the previous point spent all its ticks in this interval
    cpuTicks += Math.max(0, p.cpuTicks - (previous.cpu.get(key) ?? 0));
  });
  const point = pointOf(
    { t, children, zombies, orphans: orphans.length, fdsByKind, socketStates: socketStatesOf(sockets), rssBytes, cpuTicks },
    previous.t,
    inputs,
  );
  return { point, carry: { cpu, t } };
}

/**
 * The running sums of the tree a point is made of, carried from point to point by foldDelta: each sample then
 * costs work in proportion to what changed (the tree's delta), not to the size of the tree.
 */
export interface TreeSums {
  children: number;
  zombies: number;
  fdsByKind: Record<FdKind, number>;
  rssBytes: number;
  /** the sockets array the states were counted from (the TCP budget hands back the same array when unchanged) */
  sockets: readonly OwnedSocket[] | null;
  socketStates: Record<string, number>;
  t: number | null;
}

export const NO_SUMS: Readonly<TreeSums> = {
  children: 0,
  zombies: 0,
  fdsByKind: { socket: 0, pipe: 0, file: 0, other: 0 },
  rssBytes: 0,
  sockets: null,
  socketStates: {},
  t: null,
};

function socketStatesOf(sockets: readonly OwnedSocket[]): Record<string, number> {
  const socketStates: Record<string, number> = {};
  const countedInodes = new Set<number>();
  for (const s of sockets) {
    if (countedInodes.has(s.inode)) continue; // the same socket held by several fds counts once
    countedInodes.add(s.inode);
    socketStates[s.state] = (socketStates[s.state] ?? 0) + 1;
  }
  return socketStates;
}

/**
 * One sample → its timeline point, from the previous sums and the tree's delta since that sample: the same point
 * foldPoint makes from the whole tree (test/probes/sample-fold.test.ts folds both ways). CPU since the previous
 * point: each changed member's new ticks, and all the ticks of a member that joined.
 */
export function foldDelta(
  sample: Sample,
  delta: TreeDelta,
  previous: Readonly<TreeSums>,
  inputs: Pick<FoldInputs, 'pssBytes' | 'ticksPerSecond' | 'kindsOf'>,
): { point: TimelinePoint; sums: TreeSums } {
  const kindsOf = inputs.kindsOf ?? countKinds;
  const fdsByKind = { ...previous.fdsByKind };
  let { children, zombies, rssBytes } = previous;
  let cpuTicks = 0;
  const apply = (p: ProcessSnapshot, sign: 1 | -1): void => {
    if (p.depth >= 1) {
      if (p.state === 'Z') zombies += sign;
      else children += sign;
    }
    const kinds = kindsOf(p.fds);
    for (const kind of FD_KINDS) fdsByKind[kind] += sign * kinds[kind];
    rssBytes += sign * p.rssBytes;
  };
  for (const p of delta.removed) apply(p, -1);
  for (const p of delta.added) {
    apply(p, 1);
    cpuTicks += p.cpuTicks; // born since the previous point: all its ticks are in this interval
  }
  for (const { before, after } of delta.changed) {
    apply(before, -1);
    apply(after, 1);
    cpuTicks += Math.max(0, after.cpuTicks - before.cpuTicks);
  }
  const { t, orphans, sockets } = sample;
  const socketStates = sockets === previous.sockets ? previous.socketStates : socketStatesOf(sockets);
  const point = pointOf(
    { t, children, zombies, orphans: orphans.length, fdsByKind: { ...fdsByKind }, socketStates: { ...socketStates }, rssBytes, cpuTicks },
    previous.t,
    inputs,
  );
  return { point, sums: { children, zombies, fdsByKind, rssBytes, sockets, socketStates, t } };
}

/** The peaks after one more point; childrenPeak: this point is the (first) one that reached the children peak. */
export function foldPeaks(peaks: Readonly<SamplerPeaks>, point: TimelinePoint): { peaks: SamplerPeaks; childrenPeak: boolean } {
  // childrenAt is null only before the first point: the first point always sets the children peak
  const childrenPeak = peaks.childrenAt === null || point.children > peaks.children;
  const pss = point.pssBytes ?? null;
  return {
    peaks: {
      children: childrenPeak ? point.children : peaks.children,
      childrenAt: childrenPeak ? point.t : peaks.childrenAt,
      fds: Math.max(peaks.fds, point.fds),
      rssBytes: Math.max(peaks.rssBytes, point.rssBytes),
      pssBytes: pss !== null ? Math.max(peaks.pssBytes ?? 0, pss) : peaks.pssBytes,
      closeWait: Math.max(peaks.closeWait, point.sockets.CLOSE_WAIT ?? 0),
    },
    childrenPeak,
  };
}
