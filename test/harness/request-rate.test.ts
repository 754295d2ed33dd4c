import t from 'tap';
import { countAt, withRequestRate, type CountPoint } from '../../src/harness/request-rate.js';
import type { TimelinePoint } from '../../src/model/report.js';

const series: CountPoint[] = [
  { t: 0, count: 0 },
  { t: 1000, count: 100 },
  { t: 2000, count: 100 },
  { t: 3000, count: 400 },
];

const point = (t: number): TimelinePoint => ({
  t,
  children: 0,
  zombies: 0,
  orphans: 0,
  fds: 0,
  fdsByKind: { socket: 0, pipe: 0, file: 0, other: 0 },
  sockets: {},
  rssBytes: 0,
  cpuPct: 0,
});

t.test('countAt interpolates the cumulative series and is flat outside it', async (t) => {
  t.equal(countAt(series, -5), 0);
  t.equal(countAt(series, 500), 50);
  t.equal(countAt(series, 1500), 100);
  t.equal(countAt(series, 2500), 250);
  t.equal(countAt(series, 9000), 400);
  t.equal(countAt([], 10), 0);
});

t.test('withRequestRate gives requests per second between consecutive points', async (t) => {
  const out = withRequestRate([0, 500, 1000, 2000, 3000, 4000].map(point), series);
  t.same(
    out.map((p) => p.reqRate),
    [0, 100, 100, 0, 300, 0],
  );
});

t.test('without a series the timeline is left as it was', async (t) => {
  const out = withRequestRate([point(0), point(100)], [{ t: 0, count: 0 }]);
  t.same(
    out.map((p) => p.reqRate),
    [undefined, undefined],
  );
});
