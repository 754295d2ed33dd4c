// The accuracy bench's pure parts: which cells a filter keeps, the fold of run outcomes into detection and
// false-positive rates judged by each leak class's intended check, the targets, and the argument parser.
import t from 'tap';
import {
  ACCURACY_SUBJECTS,
  INTENDED_CHECKS,
  STRIKES_NEEDED,
  buildMatrix,
  cellKey,
  connectionsForPower,
  foldCell,
  missProbability,
  type Cell,
  type RunOutcome,
} from '../../bench/lib/accuracy-matrix.js';
import { evaluateAccuracyTargets } from '../../bench/lib/accuracy-report.js';
import { connectionsOf, parseAccuracyArgs } from '../../bench/accuracy.js';
import { fixtureCommand } from '../../bench/lib/fixtures.js';

const lat = { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
const run = (verdict: RunOutcome['verdict'], failed: string[] = [], requests = 300, loadMs = 5_000): RunOutcome => ({
  exitCode: verdict === 'pass' ? 0 : verdict === 'fail' ? 1 : 4,
  verdict,
  failed,
  requests,
  loadMs,
});

t.test('the matrix: each subject clean, then each of its classes at each rate, as filtered', async (t) => {
  const all = buildMatrix(ACCURACY_SUBJECTS, { subjects: null, classes: null, rates: [0.01, 0.05] });
  t.ok(
    all.some((c) => cellKey(c) === 'c-forking/kept-fd@0.01'),
    'the C fixture keeps a descriptor',
  );
  t.ok(
    all.some((c) => cellKey(c) === 'per-connection/orphan@0.05'),
    'per-connection has the orphan canary',
  );
  t.notOk(
    all.some((c) => c.subject === 'inline' && c.leak === 'kept-socket'),
    'inline has no socket to keep (no canary there)',
  );
  t.same(all.filter((c) => c.subject === 'py-stdlib').map(cellKey), ['py-stdlib/clean'], 'the stock server runs clean only');
  const some = buildMatrix(ACCURACY_SUBJECTS, { subjects: ['c-forking', 'prefork'], classes: ['clean', 'unreaped'], rates: [0.01] });
  t.same(some.map(cellKey), ['prefork/clean', 'prefork/unreaped@0.01', 'c-forking/clean', 'c-forking/unreaped@0.01']);
});

t.test('the fold: detected, caught by the intended check, false alarms, flips', async (t) => {
  const leak: Cell = { subject: 'c-forking', leak: 'kept-fd', rate: 0.01 };
  const s = foldCell(leak, [
    run('fail', ['fds-drained']),
    run('fail', ['error-budget']),
    run('pass'),
    run('inconclusive'),
    run('fail', ['sockets-drained', 'handoff-eof']),
  ]);
  t.equal(s.runs, 5);
  t.equal(s.fails, 3, 'every failing run counts as detected');
  t.equal(s.caughtAsIntended, 2, "only fds-drained / sockets-drained are kept-fd's checks");
  t.equal(s.detectionRate, 0.6);
  t.equal(s.intendedRate, 0.4);
  t.equal(s.falsePositiveRate, null, 'no false-positive rate for a leak cell');
  t.equal(s.inconclusive, 1);
  t.equal(s.flips, 2, 'two runs differ from the most frequent verdict (fail)');
  t.same(s.failedChecks, { 'fds-drained': 1, 'error-budget': 1, 'sockets-drained': 1, 'handoff-eof': 1 });
  const clean: Cell = { subject: 'prefork', leak: null, rate: null };
  const c = foldCell(clean, [run('pass'), run('pass', [], 400, 31_000), run('fail', ['no-zombies'], 200), run('pass')]);
  t.equal(c.falsePositiveRate, 0.25, 'a clean run that fails is a false alarm');
  t.equal(c.detectionRate, null);
  t.equal(c.flips, 1);
  t.equal(c.medianRequests, 300);
  t.equal(c.maxLoadMs, 31_000);
  const none = foldCell(clean, []);
  t.equal(none.falsePositiveRate, null, 'no runs: no rate');
  t.same(INTENDED_CHECKS.unreaped, ['no-zombies']);
});

t.test('power arithmetic and the targets', async (t) => {
  t.ok(Math.abs(missProbability(0.01, 300) - 0.049) < 0.001, '0.99^300 ≈ 0.049');
  t.equal(connectionsForPower(0.01, 0.95), 299);
  // a kept descriptor is caught from its second strike: P(0 or 1 strikes in 300) = 0.049 + 300·0.01·0.99^299
  t.ok(Math.abs(missProbability(0.01, 300, 2) - 0.198) < 0.001, 'two strikes needed: ≈ 0.198');
  t.equal(missProbability(0.5, 1, 2), 1, 'one connection can never strike twice');
  t.equal(STRIKES_NEEDED['kept-fd'], 2);
  t.equal(STRIKES_NEEDED['kept-socket'], 1);
  const keepAlive = foldCell({ subject: 'inline', leak: 'kept-fd', rate: 0.01 }, [
    { ...run('fail', ['fds-drained'], 5_000), connections: 400 },
  ]);
  t.equal(keepAlive.medianConnections, 400, 'connections, not the keep-alive requests made on them');
  t.equal(
    foldCell({ subject: 'inline', leak: 'kept-fd', rate: 0.01 }, [run('pass', [], 250)]).medianConnections,
    250,
    'an older run without connections: its requests',
  );
  t.equal(
    connectionsOf({
      load: {
        flood: {
          generator: 'flood',
          durationMs: 1,
          requests: 900,
          errors: 0,
          timeouts: 0,
          statuses: {},
          latencyMs: lat,
          extra: { connections: 4 },
        },
        churn: {
          generator: 'churn',
          durationMs: 1,
          requests: 150,
          errors: 0,
          timeouts: 0,
          statuses: {},
          latencyMs: lat,
          extra: { connectionsOpened: 150 },
        },
        tunnel: {
          generator: 'tunnel',
          durationMs: 1,
          requests: 7,
          errors: 0,
          timeouts: 0,
          statuses: {},
          latencyMs: lat,
          extra: { tunnels: 7 },
        },
        abuse: {
          generator: 'abuse',
          durationMs: 1,
          requests: 18,
          errors: 0,
          timeouts: 0,
          statuses: {},
          latencyMs: lat,
          extra: { cases: 18 },
        },
        other: { generator: 'other', durationMs: 1, requests: 3, errors: 0, timeouts: 0, statuses: {}, latencyMs: lat },
      },
    }),
    4 + 150 + 7 + 18 + 3,
    'each generator by its own count; requests where it keeps none',
  );
  const cells = [
    foldCell(
      { subject: 'c-forking', leak: 'unreaped', rate: 0.01 },
      Array.from({ length: 20 }, (_, i) => (i === 0 ? run('pass') : run('fail', ['no-zombies']))),
    ),
    foldCell(
      { subject: 'c-forking', leak: 'kept-fd', rate: 0.01 },
      Array.from({ length: 5 }, () => run('fail', ['fds-drained'])),
    ),
    foldCell(
      { subject: 'py-forking', leak: 'kept-fd', rate: 0.01 },
      Array.from({ length: 5 }, () => run('pass')),
    ),
    foldCell({ subject: 'py-forking', leak: 'unreaped', rate: 0.01 }, [
      run('pass'),
      ...Array.from({ length: 4 }, () => run('fail', ['no-zombies'])),
    ]),
    foldCell(
      { subject: 'c-forking', leak: null, rate: null },
      Array.from({ length: 20 }, () => run('pass')),
    ),
    foldCell({ subject: 'inline', leak: null, rate: null }, [run('pass', [], 300, 40_000)]),
  ];
  const targets = evaluateAccuracyTargets(cells);
  const met = (re: RegExp): boolean | null | undefined => targets.find((x) => re.test(x.target))?.met;
  t.equal(met(/c-forking: a 1-in-100 unreaped/), true, '19 of 20 is enough');
  t.equal(met(/c-forking: a 1-in-100 kept-fd/), null, '5 of 5 cannot claim 19 of 20');
  t.equal(met(/py-forking: a 1-in-100 kept-fd/), false, '0 of 5 already misses');
  t.equal(met(/py-forking: a 1-in-100 unreaped/), null, '4 of 5 may still become 19 of 20');
  t.equal(met(/c-forking: 0 false fails/), true);
  t.equal(met(/inline: evidence floor/), false, 'a 40 s load misses the 30 s floor target');
  t.notOk(
    targets.some((x) => /kept-fd.*evidence floor/.test(x.target) || /@0.01: evidence/.test(x.target)),
    'the floor target is about clean runs',
  );
});

t.test('arguments', async (t) => {
  const d = parseAccuracyArgs([]);
  t.same([d.runs, d.rates, d.subjects, d.busy], [20, [0.01, 0.05], null, true]);
  const q = parseAccuracyArgs(['--quick', '--subjects', 'c-forking', '--classes=clean,unreaped', '--no-busy']);
  t.same([q.runs, q.rates, q.subjects, q.classes, q.busy], [1, [1], ['c-forking'], ['clean', 'unreaped'], false]);
  t.equal(parseAccuracyArgs(['--quick', '--runs', '3']).runs, 3, '--runs wins over --quick');
  for (const bad of [
    ['--runs', '0'],
    ['--rates', '0'],
    ['--rates', '2'],
    ['--subjects', 'nope'],
    ['--classes', 'nope'],
    ['--bogus'],
    ['--runs'],
  ]) {
    t.throws(() => parseAccuracyArgs(bad), { name: 'AccuracyUsageError' }, bad.join(' '));
  }
});

t.test('fixture commands', async (t) => {
  t.same(fixtureCommand('c-forking', 'kept-socket', 0.01, '/x/forking-server'), [
    '/x/forking-server',
    '{port}',
    '--keep-socket-rate',
    '0.01',
  ]);
  t.match(fixtureCommand('py-forking', 'unreaped', 0.05, null).join(' '), /forking-server\.py \{port\} --no-reap-rate 0\.05$/);
  t.match(fixtureCommand('py-stdlib', null, null, null).join(' '), /stdlib-forking\.py \{port\}$/);
  t.throws(() => fixtureCommand('c-forking', 'orphan', 0.01, '/x'), /no orphan leak/);
  t.throws(() => fixtureCommand('py-stdlib', 'kept-fd', 0.01, null));
});
