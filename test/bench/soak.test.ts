// The soak benchmark's pure parts: the slope and the fold that carries a short run on to an hour, and the two
// targets it feeds (a growing harness fails the hour's bound even when the short run stayed under it).
import t from 'tap';
import { foldSoak, slope, type SoakPoint, type SoakResult } from '../../bench/system/soak.js';
import { evaluateTargets } from '../../bench/lib/targets.js';

const points = (n: number, f: (t: number) => number): SoakPoint[] =>
  Array.from({ length: n }, (_, i) => ({ t: i, harnessMiB: f(i), supervisorMiB: 50 }));

t.test('slope: least squares, flat is zero', async (t) => {
  t.equal(slope([0, 1, 2, 3], [5, 7, 9, 11]), 2);
  t.equal(slope([0, 1, 2], [4, 4, 4]), 0);
  t.equal(slope([1], [3]), 0);
});

t.test('a flat run stays where it is; a growing one is carried on to the hour', async (t) => {
  // grows early (warm-up), flat in the second half
  const flat = foldSoak(
    points(120, (s) => (s < 30 ? 60 + s : 90)),
    120,
  );
  t.equal(flat.rssSlopeMiBPerMin, 0);
  t.equal(flat.rssHourMiB, 140, '90 + 50 at the end, nothing more');
  t.equal(flat.peakMiB, 140);
  // 0.1 MiB/s in the second half: 6 MiB/min, and 3481 s more at that pace
  const leak = foldSoak(
    points(120, (s) => 60 + 0.1 * s),
    120,
  );
  t.equal(leak.rssSlopeMiBPerMin, 6);
  t.ok(leak.rssHourMiB > 400, `carried on: ${leak.rssHourMiB} MiB`);
});

t.test('the soak targets: met when flat and small, missed when the hour would exceed them', async (t) => {
  const base: SoakResult = {
    bench: 'soak',
    seconds: 180,
    ratePerSec: 300,
    exitCode: 0,
    points: [],
    connections: 50_000,
    peakMiB: 140,
    rssSlopeMiBPerMin: 0,
    rssHourMiB: 140,
    reportBytes: 400_000,
    reportHourBytes: 8_000_000,
  };
  const pick = (soak: SoakResult | undefined) =>
    Object.fromEntries(
      evaluateTargets({ soak })
        .filter((x) => x.id.startsWith('soak-'))
        .map((x) => [x.id, x.met]),
    );
  t.same(pick(base), { 'soak-rss-hour': true, 'soak-report-hour': true });
  t.same(pick({ ...base, rssHourMiB: 450, rssSlopeMiBPerMin: 6 }), { 'soak-rss-hour': false, 'soak-report-hour': true });
  t.same(pick({ ...base, reportHourBytes: 30_000_000 }), { 'soak-rss-hour': true, 'soak-report-hour': false });
  t.same(pick(undefined), { 'soak-rss-hour': null, 'soak-report-hour': null }, 'not measured: neither met nor missed');
});
