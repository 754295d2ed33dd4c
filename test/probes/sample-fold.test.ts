// The pure fold of a sample into its timeline point and the peaks: counts by kind and state, CPU since the
// previous point (a new process's ticks all count), shared sockets counted once, and peaks that keep the first
// sample reaching the children peak.
import t from 'tap';
import { foldPeaks, foldPoint, NO_CPU, NO_PEAKS } from '../../src/harness/probes/sample-fold.js';
import { processKey, type FdEntry, type OwnedSocket, type ProcessSnapshot, type Sample } from '../../src/harness/probes/types.js';

const fd = (n: number, kind: FdEntry['kind'], inode: number | null = null): FdEntry => ({
  fd: n,
  kind,
  target: `${kind}:[${inode ?? n}]`,
  inode,
});

const proc = (pid: number, depth: number, over: Partial<ProcessSnapshot> = {}): ProcessSnapshot => ({
  pid,
  starttime: 1000 + pid,
  ppid: depth === 0 ? 1 : 10,
  pgrp: 10,
  state: 'S',
  cmdline: `p${pid}`,
  depth,
  fds: [fd(0, 'file'), fd(1, 'pipe')],
  rssBytes: 1_000,
  cpuTicks: 0,
  ...over,
});

const socket = (inode: number, pid: number, state: OwnedSocket['state']): OwnedSocket => ({
  inode,
  pid,
  fd: 3,
  state,
  localAddress: '127.0.0.1',
  localPort: 8080,
  remoteAddress: '127.0.0.1',
  remotePort: 40000 + inode,
});

const sampleOf = (t: number, tree: ProcessSnapshot[], over: Partial<Sample> = {}): Sample => ({
  t,
  tree,
  orphans: [],
  sockets: [],
  netT: null,
  ...over,
});
const keys = (s: Sample): string[] => s.tree.map(processKey);
const fold = (s: Sample, previous = NO_CPU, pssBytes: number | null = null) =>
  foldPoint(s, previous, { keys: keys(s), pssBytes, ticksPerSecond: 100 });

t.test('a point counts live children, zombies, orphans, fds by kind and RSS', async (t) => {
  const s = sampleOf(
    100,
    [
      proc(10, 0, { fds: [fd(0, 'file'), fd(1, 'pipe'), fd(3, 'socket', 77)] }),
      proc(11, 1),
      proc(12, 1, { state: 'Z', fds: [], rssBytes: 0 }),
      proc(13, 2, { fds: [fd(0, 'other')] }),
    ],
    { orphans: [proc(20, -1)] },
  );
  const { point } = fold(s, NO_CPU, 4_096);
  t.same(point, {
    t: 100,
    children: 2,
    zombies: 1,
    orphans: 1,
    fds: 6,
    fdsByKind: { socket: 1, pipe: 2, file: 2, other: 1 },
    sockets: {},
    rssBytes: 3_000,
    pssBytes: 4_096,
    cpuPct: 0,
  });
});

t.test('a socket held by several fds counts once in the socket states', async (t) => {
  const s = sampleOf(0, [proc(10, 0)], {
    sockets: [
      socket(1, 10, 'ESTABLISHED'),
      { ...socket(1, 11, 'ESTABLISHED'), fd: 4 },
      socket(2, 10, 'CLOSE_WAIT'),
      socket(3, 10, 'LISTEN'),
    ],
  });
  t.same(fold(s).point.sockets, { ESTABLISHED: 1, CLOSE_WAIT: 1, LISTEN: 1 });
});

t.test('CPU is the ticks since the previous point, a new process counting all of its own', async (t) => {
  const first = sampleOf(0, [proc(10, 0, { cpuTicks: 50 }), proc(11, 1, { cpuTicks: 10 })]);
  const a = fold(first);
  t.equal(a.point.cpuPct, 0, 'no previous point: no interval to divide by');
  t.same(
    [...a.carry.cpu.entries()],
    [
      [processKey(first.tree[0]!), 50],
      [processKey(first.tree[1]!), 10],
    ],
  );
  t.equal(a.carry.t, 0);
  // 1 s later: the root used 20 ticks, 11 exited, 12 was born with 5 → 25 ticks at 100 Hz = 0.25 s of one core
  const second = sampleOf(1_000, [proc(10, 0, { cpuTicks: 70 }), proc(12, 1, { cpuTicks: 5 })]);
  const b = fold(second, a.carry);
  t.equal(b.point.cpuPct, 25);
  t.notOk(b.carry.cpu.has(processKey(first.tree[1]!)), 'an exited process is forgotten');
});

t.test('a reused pid is a new process: its ticks are not diffed against the old one', async (t) => {
  const old = sampleOf(0, [proc(10, 0), proc(11, 1, { cpuTicks: 500 })]);
  const reused = sampleOf(1_000, [proc(10, 0), proc(11, 1, { cpuTicks: 10, starttime: 9_999 })]);
  t.equal(fold(reused, fold(old).carry).point.cpuPct, 10);
});

t.test('the fold is pure: same inputs, same point; the sample and the carry are left as they were', async (t) => {
  const s = sampleOf(500, [proc(10, 0, { cpuTicks: 3 })]);
  const carry = { cpu: new Map([[processKey(s.tree[0]!), 1]]), t: 400 };
  const before = JSON.stringify({ s, carry: [...carry.cpu] });
  t.same(fold(s, carry), fold(s, carry));
  t.equal(JSON.stringify({ s, carry: [...carry.cpu] }), before);
});

t.test('kindsOf, when given, is what counts the fds by kind', async (t) => {
  const s = sampleOf(0, [proc(10, 0), proc(11, 1)]);
  const seen: unknown[] = [];
  const { point } = foldPoint(s, NO_CPU, {
    keys: keys(s),
    pssBytes: null,
    ticksPerSecond: 100,
    kindsOf: (fds) => {
      seen.push(fds);
      return { socket: 1, pipe: 0, file: 0, other: 0 };
    },
  });
  t.equal(seen.length, 2);
  t.same(point.fdsByKind, { socket: 2, pipe: 0, file: 0, other: 0 });
});

t.test('peaks: maxima over points, the first point reaching the children peak kept', async (t) => {
  const point = (t: number, children: number, over: Partial<ReturnType<typeof fold>['point']> = {}) => ({
    ...fold(sampleOf(t, [proc(10, 0)])).point,
    children,
    ...over,
  });
  const one = foldPeaks(NO_PEAKS, point(0, 0));
  t.ok(one.childrenPeak, 'the first point sets the children peak, even at 0');
  t.same(one.peaks, { children: 0, childrenAt: 0, fds: 2, rssBytes: 1_000, pssBytes: null, closeWait: 0 });
  const two = foldPeaks(one.peaks, point(100, 3, { fds: 9, rssBytes: 5_000, pssBytes: 700, sockets: { CLOSE_WAIT: 2 } }));
  t.ok(two.childrenPeak);
  t.same(two.peaks, { children: 3, childrenAt: 100, fds: 9, rssBytes: 5_000, pssBytes: 700, closeWait: 2 });
  const three = foldPeaks(two.peaks, point(200, 3, { fds: 1, rssBytes: 1, pssBytes: null, sockets: {} }));
  t.notOk(three.childrenPeak, 'equal to the peak: the earlier point stays the peak');
  t.same(three.peaks, two.peaks, 'lower values and an unread PSS leave the peaks as they were');
  t.same(NO_PEAKS, { children: 0, fds: 0, rssBytes: 0, pssBytes: null, closeWait: 0, childrenAt: null }, 'the start value is not mutated');
});

t.test('foldDelta from the previous sums and the delta makes the same points as foldPoint from the whole tree', async (t) => {
  const { foldDelta, NO_SUMS } = await import('../../src/harness/probes/sample-fold.js');
  const root = proc(10, 0, { cpuTicks: 5 });
  const a = proc(11, 1, { cpuTicks: 1 });
  const b = proc(12, 1);
  const s1 = sampleOf(0, [root, a, b], { sockets: [socket(1, 10, 'ESTABLISHED')] });
  const root2 = { ...root, cpuTicks: 9, rssBytes: 2_000 };
  const bZ = { ...b, state: 'Z', fds: [], rssBytes: 0 };
  const c = proc(13, 2, { cpuTicks: 3, fds: [fd(0, 'socket', 5)] });
  const s2 = sampleOf(100, [root2, a, bZ, c], {
    sockets: [socket(1, 10, 'CLOSE_WAIT'), socket(5, 13, 'ESTABLISHED')],
    orphans: [proc(20, -1)],
  });
  const s3 = sampleOf(200, [root2, c], { sockets: s2.sockets });
  const deltas = [
    { added: [root, a, b], removed: [], changed: [] },
    {
      added: [c],
      removed: [],
      changed: [
        { before: root, after: root2 },
        { before: b, after: bZ },
      ],
    },
    { added: [], removed: [a, bZ], changed: [] },
  ];
  let carry = NO_CPU;
  let sums = NO_SUMS;
  for (const [i, s] of [s1, s2, s3].entries()) {
    const whole = fold(s, carry, 7);
    carry = whole.carry;
    const byDelta = foldDelta(s, deltas[i]!, sums, { pssBytes: 7, ticksPerSecond: 100 });
    sums = byDelta.sums;
    t.same(byDelta.point, whole.point, `point ${i}`);
  }
});
