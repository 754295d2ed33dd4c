// The fork-churn targets are ratios of cells measured in the same run: worst concurrency level for rates, c=1 for
// p50; a subject that was not measured leaves its target unevaluated instead of passing or failing.
import t from 'tap';
import { evaluateForkChurn, responseEnd, type CellResult, type Subject } from '../../bench/fork-churn.js';

const cell = (subject: Subject, concurrency: number, connPerSec: number, p50Ms: number): CellResult => ({
  subject,
  concurrency,
  connPerSec,
  connections: Math.round(connPerSec * 5),
  errors: 0,
  p50Ms,
  p99Ms: p50Ms * 2,
  cpuMsPerConn: 1,
});

const byId = (r: ReturnType<typeof evaluateForkChurn>, id: string) => [...r.targets, ...r.bounds].find((x) => x.id === id)!;

t.test('rate targets take the worst concurrency level; p50 compares c=1 with inline', async (t) => {
  const r = evaluateForkChurn(
    [
      cell('fork', 1, 300, 3),
      cell('fork', 8, 500, 16),
      cell('per-connection', 1, 15, 66),
      cell('per-connection', 8, 40, 300),
      cell('ref-py-proxy', 1, 280, 3.5),
      cell('ref-py-proxy', 8, 520, 15),
      cell('inline', 1, 3000, 0.3),
      cell('inline', 8, 9000, 0.8),
      cell('ref-node-floor', 1, 450, 2),
      cell('ref-node-floor', 8, 650, 11),
    ],
    [1, 8],
  );
  const vsSpawn = byId(r, 'fork-vs-per-connection');
  t.equal(vsSpawn.value, 12.5, 'worst of 300/15 = 20 and 500/40 = 12.5');
  t.equal(vsSpawn.met, true);
  t.match(vsSpawn.measured, /c=8/, 'names the level the worst ratio came from');
  const vsNative = byId(r, 'fork-vs-native');
  t.equal(vsNative.value, 0.96, 'worst of 300/280 and 500/520');
  t.equal(vsNative.met, true);
  const p50 = byId(r, 'fork-p50');
  t.equal(p50.value, 10, '3 ms / 0.3 ms');
  t.equal(p50.met, false, '10 × inline misses ≤ 3');
  t.equal(byId(r, 'node-fork-floor-p50').value, 6.67, 'the floor is reported as a bound');
  t.equal(byId(r, 'fork-vs-floor-p50').value, 1.5, 'fork against the Node floor: 3 ms / 2 ms');
  t.equal(byId(r, 'fork-vs-floor-p50').met, false, '1.5 × misses ≤ 1.2');
  t.equal(byId(r, 'node-fork-floor-vs-before').met, null, 'the floor as it was was not measured');
  t.equal(r.targets.length, 5, "issue 13's three targets and issue 23's two; references are bounds, not targets");
});

t.test('issue 23: fork against the Node floor, and the floor against the floor as it was, both at c=1', async (t) => {
  const r = evaluateForkChurn(
    [
      cell('fork', 1, 420, 2.2),
      cell('fork', 8, 600, 13),
      cell('ref-node-floor', 1, 480, 2),
      cell('ref-node-floor', 8, 700, 11),
      cell('ref-node-floor-before', 1, 440, 2.5),
    ],
    [1, 8],
  );
  const vsFloor = byId(r, 'fork-vs-floor-p50');
  t.equal(vsFloor.value, 1.1, '2.2 ms / 2 ms, the c=8 cells are not used');
  t.equal(vsFloor.met, true);
  t.match(vsFloor.measured, /fork 2.2 ms \(c=1\) vs ref-node-floor 2 ms \(c=1\)/);
  const floor = byId(r, 'node-fork-floor-vs-before');
  t.equal(floor.value, 0.8, '2 ms / 2.5 ms');
  t.equal(floor.met, true);
  const worse = evaluateForkChurn([cell('ref-node-floor', 1, 400, 2.6), cell('ref-node-floor-before', 1, 440, 2.5)], [1]);
  t.equal(byId(worse, 'node-fork-floor-vs-before').met, false, 'a floor above the one before misses');
});

t.test('a subject not measured leaves its target unevaluated', async (t) => {
  const r = evaluateForkChurn([cell('fork', 1, 300, 3), cell('inline', 1, 3000, 0.3)], [1]);
  const vsSpawn = byId(r, 'fork-vs-per-connection');
  t.equal(vsSpawn.value, null);
  t.equal(vsSpawn.met, null);
  t.equal(vsSpawn.measured, 'not measured');
  t.equal(byId(r, 'fork-p50').met, false);
});

t.test('paced cells: compared with inline paced at the same rate, never with a closed-loop cell', async (t) => {
  const pacedCell = (subject: Subject, p50Ms: number, paceHz = 100): CellResult => ({ ...cell(subject, 1, paceHz, p50Ms), paceHz });
  const r = evaluateForkChurn(
    [
      cell('fork', 1, 400, 2.4),
      cell('inline', 1, 3000, 0.3),
      pacedCell('fork', 2.7),
      pacedCell('fork-spares', 2.1),
      pacedCell('inline', 0.9),
      pacedCell('ref-node-floor', 5, 50), // another rate: not comparable, so the floor's paced row is not measured
    ],
    [1],
    100,
  );
  t.equal(byId(r, 'fork-p50').value, 8, 'the closed-loop target still uses the closed-loop cells: 2.4 / 0.3');
  const fork = byId(r, 'fork-p50-paced');
  t.equal(fork.value, 3, '2.7 / 0.9');
  t.equal(fork.met, true, '3 × is within ≤ 3');
  t.match(fork.measured, /paced at 100\/s/);
  const spares = byId(r, 'fork-spares-p50-paced');
  t.equal(spares.value, 2.33, '2.1 / 0.9');
  const floor = byId(r, 'node-fork-floor-p50-paced');
  t.equal(floor.value, null, 'a cell paced at another rate is not used');
  t.equal(floor.met, null);
  t.notOk(
    r.targets.some((x) => x.id.endsWith('-paced')),
    'paced rows are bounds, not the issue targets',
  );
});

t.test('keep-alive cells: per request, compared only with inline kept alive, and never taken for churn', async (t) => {
  const keptCell = (subject: Subject, p50Ms: number): CellResult => ({ ...cell(subject, 1, 4000, p50Ms), keepAlive: true });
  const r = evaluateForkChurn(
    [
      cell('fork', 1, 400, 2.4),
      cell('inline', 1, 3000, 0.3),
      keptCell('fork', 0.18),
      keptCell('inline', 0.15),
      keptCell('fork-spares', 0.5),
    ],
    [1],
  );
  t.equal(byId(r, 'fork-p50').value, 8, 'the churn target ignores keep-alive cells: 2.4 / 0.3');
  const kept = byId(r, 'fork-p50-keepalive');
  t.equal(kept.value, 1.2, '0.18 / 0.15');
  t.equal(kept.met, true);
  t.match(kept.measured, /per request, one kept-alive connection/);
  t.equal(byId(r, 'fork-spares-p50-keepalive').met, false, '0.5 / 0.15 = 3.33 misses ≤ 3');
  t.notOk(
    r.targets.some((x) => x.id.endsWith('-keepalive')),
    'keep-alive rows are bounds, not the issue targets',
  );
  const withoutInline = evaluateForkChurn([keptCell('fork', 0.18)], [1]);
  t.equal(byId(withoutInline, 'fork-p50-keepalive').met, null, 'no inline keep-alive cell: not evaluated');
});

t.test('--pace 0 runs no paced cell, so no paced bound is listed', async (t) => {
  const r = evaluateForkChurn([cell('fork', 1, 400, 2.4), cell('inline', 1, 3000, 0.3)], [1], 0);
  t.notOk(r.bounds.some((x) => x.id.endsWith('-paced')));
  t.ok(
    r.bounds.some((x) => x.id === 'node-fork-floor-p50'),
    'the closed-loop bounds stay',
  );
});

t.test('responseEnd finds where a response ends from its Content-Length', async (t) => {
  const res = (s: string): Buffer => Buffer.from(s, 'latin1');
  const one = 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello';
  t.equal(responseEnd(res(one)), one.length);
  t.equal(responseEnd(res(`${one}HTTP/1.1 200 OK\r\n`)), one.length, 'stops at the first response');
  t.equal(responseEnd(res(one.slice(0, -1))), 0, 'body incomplete: needs more');
  t.equal(responseEnd(res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n')), 0, 'head incomplete: needs more');
  t.equal(responseEnd(res('HTTP/1.1 204 No Content\r\nX: y\r\n\r\n')), 'HTTP/1.1 204 No Content\r\nX: y\r\n\r\n'.length, '204 has no body');
  t.equal(responseEnd(res('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n')), -1, 'chunked: not supported');
  t.equal(responseEnd(res('garbage\r\n\r\n')), -1, 'not a response');
});
