// Pure parts of `handoff compare`: medians and spreads, the interleaved order, target planning and
// command splitting, per-run metrics from real report fixtures, per-target summaries and the exit code.
import t from 'tap';
import {
  comparisonExitCode,
  latencyGenerator,
  median,
  representativeRun,
  runMetrics,
  runStatusOf,
  spread,
  summarizeTarget,
  timelineOf,
} from '../../src/compare/aggregate.js';
import { gridStep, resample } from '../../src/compare/chart-data.js';
import { commandLabel, interleave, parseRepeat, parseStrategyList, planTargets, splitCommand } from '../../src/compare/plan.js';
import { parseCompareFormats } from '../../src/compare/write.js';
import { formatSpread, verdictText } from '../../src/compare/text.js';
import { UsageError } from '../../src/util/errors.js';
import { fixture } from '../report/fixtures.js';
import { compareRun, metrics } from './fixtures.js';

t.test('median', async (t) => {
  t.equal(median([]), null);
  t.equal(median([7]), 7);
  t.equal(median([3, 1, 2]), 2, 'odd count: the middle one, whatever the input order');
  t.equal(median([4, 1, 3, 2]), 2.5, 'even count: mean of the two middle values');
  t.equal(median([10, 10, 1000]), 10, 'one outlier does not move it');
  const input = [5, 1, 4];
  median(input);
  t.same(input, [5, 1, 4], 'input left unsorted');
});

t.test('spread: median, min, max; null as "never" or as missing', async (t) => {
  t.same(spread([]), { median: null, min: null, max: null, n: 0, never: 0 });
  t.same(spread([30, 10, 20]), { median: 20, min: 10, max: 30, n: 3, never: 0 });
  t.same(spread([10, null, 20]), { median: 20, min: 10, max: null, n: 3, never: 1 }, 'a never sorts above every number; max is never');
  t.same(spread([10, null, null]), { median: null, min: 10, max: null, n: 3, never: 2 }, 'median run never got there');
  t.same(spread([null]), { median: null, min: null, max: null, n: 1, never: 1 });
  t.same(spread([10, null], 'never'), { median: null, min: 10, max: null, n: 2, never: 1 }, 'even count with a never in the middle pair');
  t.same(spread([10, null, 30], 'missing'), { median: 20, min: 10, max: 30, n: 2, never: 0 }, 'missing values are left out');
});

t.test('formatSpread', async (t) => {
  const ms = (n: number): string => `${n} ms`;
  t.equal(formatSpread(spread([]), ms), '—');
  t.equal(formatSpread(spread([5]), ms), '5 ms');
  t.equal(formatSpread(spread([5, 5, 5]), ms), '5 ms', 'no range when every run agrees');
  t.equal(formatSpread(spread([4, 5, 9]), ms), '5 ms (4 ms–9 ms)');
  t.equal(formatSpread(spread([4, null, 9]), ms), '9 ms (4 ms–never)');
  t.equal(formatSpread(spread([null, null, 9]), ms), 'never (9 ms–never)');
  t.equal(formatSpread(spread([null]), ms), 'never');
  t.equal(formatSpread(spread([null, null]), ms), 'never', 'no range when no run got there');
});

t.test('interleave: A B C A B C …, never A A B B', async (t) => {
  const order = interleave(['A', 'B', 'C'], 3);
  t.same(order.map((r) => r.target).join(''), 'ABCABCABC');
  t.same(
    order.map((r) => r.rep),
    [1, 1, 1, 2, 2, 2, 3, 3, 3],
  );
  t.same(
    order.map((r) => r.order),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
    '1-based positions',
  );
  t.same(
    order.map((r) => r.targetIndex),
    [0, 1, 2, 0, 1, 2, 0, 1, 2],
  );
  t.same(
    interleave(['A', 'B'], 1).map((r) => r.target),
    ['A', 'B'],
  );
  t.same(interleave([], 4), []);
});

t.test('parseRepeat, parseStrategyList, parseCompareFormats', async (t) => {
  t.equal(parseRepeat(undefined), 1);
  t.equal(parseRepeat('3'), 3);
  for (const bad of ['0', '-1', 'x', '1.5', '51']) t.throws(() => parseRepeat(bad), UsageError, `--repeat ${bad}`);
  t.same(parseStrategyList('inline, per-connection,,prefork'), ['inline', 'per-connection', 'prefork']);
  t.same(parseStrategyList(undefined), []);
  t.throws(() => parseStrategyList('inline,teleport'), { name: 'UsageError', message: /unknown strategy "teleport"/ });
  t.throws(() => parseStrategyList(' , '), { name: 'UsageError', message: /at least one/ });
  t.same(parseCompareFormats(undefined), ['json', 'md', 'html']);
  t.same(parseCompareFormats('md'), ['json', 'md'], 'json always');
  t.same(parseCompareFormats('markdown,html'), ['json', 'md', 'html']);
  t.throws(() => parseCompareFormats('junit'), { name: 'UsageError', message: /unknown comparison format "junit"/ });
});

t.test('splitCommand: shell-like words, no expansion', async (t) => {
  t.same(splitCommand('python3 server.py {port}'), ['python3', 'server.py', '{port}']);
  t.same(splitCommand('  a   b\tc  '), ['a', 'b', 'c']);
  t.same(splitCommand(`sh -c 'exec srv --port "$PORT"'`), ['sh', '-c', 'exec srv --port "$PORT"'], 'single quotes are literal');
  t.same(splitCommand(`echo "a \\"b\\" \\$x" c\\ d ''`), ['echo', 'a "b" $x', 'c d', ''], 'double quotes, escapes, empty word');
  t.same(splitCommand('a"b"c'), ['abc'], 'quotes join into the word');
  t.same(splitCommand(''), []);
  t.throws(() => splitCommand(`a 'b`), { name: 'UsageError', message: /unterminated ' quote/ });
  t.throws(() => splitCommand('a \\'), { name: 'UsageError', message: /lone backslash/ });
});

t.test('planTargets: strategies then commands, unique labels, no targets is a usage error', async (t) => {
  const targets = planTargets(['inline', 'prefork', 'inline'], ['python3 /srv/app/server.py {port} --workers 2']);
  t.same(
    targets.map((x) => x.label),
    ['inline', 'prefork', 'inline #2', 'python3 server.py --workers 2'],
  );
  t.same(targets[3], {
    label: 'python3 server.py --workers 2',
    kind: 'command',
    strategy: null,
    command: ['python3', '/srv/app/server.py', '{port}', '--workers', '2'],
  });
  t.equal(commandLabel(['x'.repeat(60)]).length, 40, 'long labels are cut');
  t.throws(() => planTargets([], []), { name: 'UsageError', message: /nothing to compare/ });
  t.throws(() => planTargets([], ['   ']), { name: 'UsageError', message: /--cmd needs a command/ });
});

t.test('runMetrics from a real report', async (t) => {
  const pass = runMetrics(fixture('pass'));
  const report = fixture('pass');
  const loads = Object.values(report.load);
  const expectedRate = loads.reduce((s, l) => s + (l.requests * 1000) / l.durationMs, 0);
  t.ok(Math.abs(pass.requestsPerSec - expectedRate) < 1e-9, 'req/s summed over generators');
  for (const l of loads)
    t.match(pass.perGenerator[l.generator], { p99Ms: l.latencyMs.p99, requests: l.requests }, `${l.generator} latency kept`);
  t.equal(
    pass.errors,
    loads.reduce((s, l) => s + l.errors + l.timeouts, 0),
  );
  t.equal(pass.peakRssBytes, report.peaks.rssBytes);
  t.equal(pass.timeToQuietMs, report.timeToQuietMs);
  t.same(pass.failedChecks, []);
  t.same(
    Object.keys(pass.perGenerator),
    loads.map((l) => l.generator),
  );

  const failReport = fixture('fail');
  const fail = runMetrics(failReport);
  t.same(
    fail.failedChecks,
    failReport.checks.filter((c) => !c.pass && !c.allowedBy).map((c) => c.id),
  );
  t.ok(fail.failedChecks.length > 0);

  // a generator that got no response has no latency
  const silent = fixture('pass');
  for (const l of Object.values(silent.load)) Object.assign(l, { requests: 0, latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 } });
  const m = runMetrics(silent);
  t.equal(m.requestsPerSec, 0);
  t.equal(Object.values(m.perGenerator)[0].p99Ms, null);
});

t.test('latencyGenerator: the bulk generator, one choice for every target', async (t) => {
  const gen = (requests: number, p99Ms: number | null) => ({
    requestsPerSec: requests,
    p50Ms: p99Ms,
    p99Ms,
    maxMs: p99Ms,
    errors: 0,
    requests,
  });
  const runs = [
    compareRun(1, 'fast', 1, metrics({ perGenerator: { flood: gen(900, 5), churn: gen(100, 40) } })),
    compareRun(2, 'slow', 1, metrics({ perGenerator: { flood: gen(0, null), churn: gen(3, 2000) } })),
  ];
  t.equal(latencyGenerator(runs), 'flood', 'most responses over all runs');
  t.equal(latencyGenerator([compareRun(1, 'x', 1, null, 'not-started')]), null);
  const fast = summarizeTarget({ label: 'fast', kind: 'reference-proxy', strategy: 'inline', command: null }, runs, 'flood');
  const slow = summarizeTarget({ label: 'slow', kind: 'reference-proxy', strategy: 'per-connection', command: null }, runs, 'flood');
  t.equal(fast.p99Ms.median, 5, 'the flood latency, not the slower churn');
  t.equal(slow.p99Ms.n, 0, "no flood response: no latency shown, rather than churn's");
  t.equal(slow.perGenerator.churn.p99Ms.median, 2000, 'still listed per generator');
});

t.test('summarizeTarget, representativeRun, comparisonExitCode', async (t) => {
  const spec = { label: 'inline', kind: 'reference-proxy' as const, strategy: 'inline', command: null };
  const runs = [
    compareRun(1, 'inline', 1, metrics({ requestsPerSec: 300, timeToQuietMs: 50 })),
    compareRun(2, 'other', 1, metrics({ requestsPerSec: 1 })),
    compareRun(3, 'inline', 2, metrics({ requestsPerSec: 100, timeToQuietMs: null, failedChecks: ['children-drained'] }), 'fail'),
    compareRun(
      5,
      'inline',
      3,
      metrics({ requestsPerSec: 200, timeToQuietMs: 70, failedChecks: ['children-drained', 'no-orphans'] }),
      'fail',
    ),
  ];
  const s = summarizeTarget(spec, runs);
  t.equal(s.runs, 3, 'only its own runs');
  t.equal(s.passed, 1);
  t.equal(s.failed, 2);
  t.equal(s.verdict, 'fail');
  t.same(s.requestsPerSec, { median: 200, min: 100, max: 300, n: 3, never: 0 });
  t.same(s.timeToQuietMs, { median: 70, min: 50, max: null, n: 3, never: 1 });
  t.same(s.leaks, [
    { check: 'children-drained', runs: 2 },
    { check: 'no-orphans', runs: 1 },
  ]);
  t.equal(representativeRun('inline', runs)?.order, 5, 'the median-throughput run');
  t.equal(representativeRun('nobody', runs), null);

  t.equal(comparisonExitCode([{ status: 'pass' }, { status: 'pass' }]), 0);
  t.equal(comparisonExitCode([{ status: 'pass' }, { status: 'fail' }]), 1);
  t.equal(comparisonExitCode([{ status: 'fail' }, { status: 'not-started' }]), 3);
  t.equal(comparisonExitCode([{ status: 'fail' }, { status: 'error' }]), 70);

  // a run short of its evidence floor is inconclusive: never a pass, never counted as a leak
  t.equal(comparisonExitCode([{ status: 'pass' }, { status: 'inconclusive' }]), 4);
  t.equal(comparisonExitCode([{ status: 'inconclusive' }, { status: 'fail' }]), 1, 'a failure outranks it');
  const short = summarizeTarget(spec, [
    compareRun(1, 'inline', 1, null, 'pass'),
    { ...compareRun(2, 'inline', 2, null), status: 'inconclusive' },
  ]);
  t.equal(short.verdict, 'inconclusive');
  t.equal(short.inconclusive, 1);
  t.equal(short.failed, 0);
  t.equal(verdictText(short), 'inconclusive 1/2');
  const inconclusiveReport = { ...fixture('pass'), verdict: 'inconclusive' as const, exitCode: 4 as const };
  t.equal(runStatusOf(inconclusiveReport), 'inconclusive');
  t.equal(runStatusOf({ ...inconclusiveReport, exitCode: 1 as const }), 'fail', 'a gate that failed it keeps it failed');
  t.equal(runStatusOf(fixture('pass')), 'pass');

  const notStarted = summarizeTarget(spec, [{ ...compareRun(1, 'inline', 1, null), status: 'not-started' }]);
  t.equal(notStarted.verdict, 'not-started');
  t.equal(notStarted.requestsPerSec.n, 0);
});

t.test('timelineOf shifts to load start; resample holds the last sample', async (t) => {
  const report = fixture('pass');
  const load = report.phases.find((p) => p.name === 'load')!;
  const tl = timelineOf('inline', report);
  t.equal(tl.points[0].t, report.timeline[0].t - load.start);
  t.equal(tl.loadMs, load.end - load.start);
  const points = [
    { t: 0, children: 1, fds: 0, rssBytes: 0, pssBytes: null, closeWait: 0, reqRate: null, cpuPct: 0 },
    { t: 250, children: 3, fds: 0, rssBytes: 0, pssBytes: null, closeWait: 0, reqRate: null, cpuPct: 0 },
  ];
  t.same(
    resample(points, [-100, 0, 100, 200, 300, 400, 500], 100, (p) => p.children),
    [null, 1, 1, 1, 3, null, null],
  );
  t.equal(gridStep(1000), 100);
  t.ok(gridStep(600_000) * 1200 >= 600_000, 'at most ~1200 points');
});
