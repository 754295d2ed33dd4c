// The bounded timeline of a long run: older points folded into min/max buckets so a spike (or a dip) survives
// however long the run, the recent window kept at full rate, the budget held through repeated folds.
import t from 'tap';
import { compactTimeline } from '../../src/harness/probes/timeline-window.js';
import type { TimelinePoint } from '../../src/model/report.js';

const point = (t: number, over: Partial<TimelinePoint> = {}): TimelinePoint => ({
  t,
  children: 2,
  zombies: 0,
  orphans: 0,
  fds: 40,
  fdsByKind: { socket: 10, pipe: 4, file: 20, other: 6 },
  sockets: { ESTABLISHED: 3 },
  rssBytes: 5e7,
  pssBytes: 3e7,
  cpuPct: 10,
  ...over,
});
// an hour at 10 Hz, with one spike and one dip far in the past
const hour = Array.from({ length: 36_000 }, (_, i) =>
  point(
    i * 100,
    i === 5_000 ? { fds: 999, sockets: { ESTABLISHED: 3, CLOSE_WAIT: 7 }, zombies: 1 } : i === 9_000 ? { children: 0, cpuPct: 0 } : {},
  ),
);
const limits = { maxPoints: 4_000, recentMs: 120_000 };

t.test('a timeline within its budget is left as it is', async (t) => {
  const short = hour.slice(0, 100);
  t.same(compactTimeline(short, limits), short);
});

t.test('an hour at 10 Hz folds into the budget; the spike and the dip survive; the recent window is whole', async (t) => {
  const out = compactTimeline(hour, limits);
  t.ok(out.length <= limits.maxPoints, `${out.length} points`);
  t.equal(Math.max(...out.map((p) => p.fds)), 999, 'the fd spike is a max point');
  t.equal(Math.max(...out.map((p) => p.sockets.CLOSE_WAIT ?? 0)), 7, 'a socket state seen once is kept');
  t.equal(Math.max(...out.map((p) => p.zombies)), 1, 'the zombie too');
  t.equal(Math.min(...out.map((p) => p.children)), 0, 'the dip is a min point');
  const recent = out.filter((p) => p.t >= 36_000 * 100 - limits.recentMs);
  t.ok(
    recent.every((p) => p.bucketMs === undefined),
    'the last two minutes are at full rate',
  );
  t.equal(recent.length, limits.recentMs / 100, 'every recent sample kept');
  const ts = out.map((p) => p.t);
  t.same(
    ts,
    [...ts].sort((a, b) => a - b),
    'in time order',
  );
  t.ok(JSON.stringify(out).length < JSON.stringify(hour).length / 5, 'the report is a fraction of the size');
});

t.test('folding again (a run that goes on) keeps the budget and the envelope', async (t) => {
  let kept: TimelinePoint[] = [];
  for (let i = 0; i < hour.length; i += 1_000)
    kept = compactTimeline([...kept, ...hour.slice(i, i + 1_000)], { ...limits, maxPoints: 3_000 });
  t.ok(kept.length <= 3_000);
  t.equal(Math.max(...kept.map((p) => p.fds)), 999);
  t.equal(Math.min(...kept.map((p) => p.children)), 0);
});
