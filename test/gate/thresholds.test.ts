import t from 'tap';
import { parseThresholds, evaluateThresholds, parseExpression } from '../../src/gate/thresholds.js';
import { METRIC_NAMES } from '../../src/gate/metrics.js';
import { fixture } from '../report/fixtures.js';
import type { LoadStats, Report } from '../../src/model/report.js';

t.test('parses the k6-like forms, with units converted to the base unit', async (t) => {
  const parsed = parseThresholds({
    p99_ms: '<250',
    error_rate: '<0.01',
    peak_children: '<=64',
    time_to_quiet_ms: ['<2s', '>=0'],
    'p50_ms{churn}': ' > 1.5ms ',
    peak_rss_bytes: '<512MiB',
  });
  t.same(
    parsed.map((p) => [p.metric, p.op, p.bound, p.generator]),
    [
      ['p99_ms', '<', 250, null],
      ['error_rate', '<', 0.01, null],
      ['peak_children', '<=', 64, null],
      ['time_to_quiet_ms', '<', 2000, null],
      ['time_to_quiet_ms', '>=', 0, null],
      ['p50_ms{churn}', '>', 1.5, 'churn'],
      ['peak_rss_bytes', '<', 512 * 1024 * 1024, null],
    ],
  );
  t.equal(parseExpression('error_rate', '<1%').bound, 0.01);
  t.equal(parseExpression('peak_fds', '!=0').op, '!=');
  t.same(parseThresholds(undefined), []);
});

t.test('unknown metrics and malformed expressions are usage errors, never silent passes', async (t) => {
  const bad: [unknown, RegExp][] = [
    [{ p999_ms: '<1' }, /unknown metric "p999_ms" \(did you mean p99_ms\?\); known metrics: p50_ms, /],
    [{ latency: '<1' }, /unknown metric "latency"/],
    [{ p99_ms: '250' }, /malformed threshold "250"/],
    [{ p99_ms: '<' }, /malformed threshold/],
    [{ p99_ms: '=< 5' }, /malformed threshold/],
    [{ p99_ms: '<abc' }, /malformed threshold/],
    [{ p99_ms: 250 }, /expected a string like "<250", got 250/],
    [{ p99_ms: [] }, /empty list/],
    [{ peak_children: '<5ms' }, /unit "ms" does not fit a count metric \(give a bare number\)/],
    [{ p99_ms: '<5MiB' }, /unit "MiB" does not fit a ms metric \(use ms, s, m or none\)/],
    [{ 'peak_fds{flood}': '<5' }, /whole-run metric and cannot be narrowed/],
    [{ 'p99_ms{}': '<5' }, /invalid metric "p99_ms\{\}"/],
    [['<5'], /expected an object/],
    [{ p99_ms: '<1e999' }, /not a finite number/],
  ];
  for (const [raw, message] of bad) t.throws(() => parseThresholds(raw), { name: 'UsageError', message }, JSON.stringify(raw));
  const err = (() => {
    try {
      parseThresholds({ nope: '<1' });
    } catch (e) {
      return e as { exitCode: number };
    }
  })();
  t.equal(err?.exitCode, 2, 'exit code 2');
});

t.test('evaluates against the failing fixture', async (t) => {
  const report = fixture('fail');
  const results = evaluateThresholds(
    report,
    parseThresholds({
      p99_ms: ['<250', '<300'],
      'p99_ms{flood}': '<250',
      max_ms: '<=2003',
      error_rate: '<0.01',
      peak_children: '<=64',
      peak_close_wait: '==0',
      time_to_quiet_ms: '<2000',
      requests: '>=7624',
      requests_per_s: '>380',
      'errors{churn}': '==41',
      non_2xx: '==5',
      failed_checks: '==5',
      peak_zombies: '<=1',
      'p50_ms{nosuch}': '<1000',
    }),
  );
  const byKey = Object.fromEntries(results.map((r) => [`${r.metric} ${r.expr}`, r]));
  t.same(byKey['p99_ms <250'], { metric: 'p99_ms', expr: '<250', value: 251, pass: false }, 'worst normal-traffic generator (churn) p99');
  t.equal(byKey['p99_ms <300'].pass, true);
  t.same(byKey['p99_ms{flood} <250'], { metric: 'p99_ms{flood}', expr: '<250', value: 212, pass: true });
  t.equal(byKey['max_ms <=2003'].pass, true);
  t.equal(byKey['error_rate <0.01'].value, (3 + 2 + 41) / (7012 + 612));
  t.equal(byKey['error_rate <0.01'].pass, true);
  t.equal(byKey['peak_children <=64'].pass, true);
  t.same(byKey['peak_close_wait ==0'], { metric: 'peak_close_wait', expr: '==0', value: 80, pass: false });
  t.same(
    byKey['time_to_quiet_ms <2000'],
    { metric: 'time_to_quiet_ms', expr: '<2000', value: null, pass: false },
    'never quiet: no data fails',
  );
  t.equal(byKey['requests >=7624'].pass, true);
  t.equal(byKey['requests_per_s >380'].value, 7012 / 20 + 612 / 20);
  t.equal(byKey['errors{churn} ==41'].pass, true);
  t.equal(byKey['non_2xx ==5'].pass, true, '"none" statuses count as non-2xx');
  t.equal(byKey['failed_checks ==5'].pass, true);
  t.equal(byKey['peak_zombies <=1'].pass, true);
  t.same(
    byKey['p50_ms{nosuch} <1000'],
    { metric: 'p50_ms{nosuch}', expr: '<1000', value: null, pass: false },
    'a generator that did not run: no data',
  );
});

t.test('every metric reads a value off the passing fixture', async (t) => {
  const report = fixture('pass');
  for (const name of METRIC_NAMES) {
    const [r] = evaluateThresholds(report, parseThresholds({ [name]: '>=0' }));
    t.ok(r.value !== null && r.pass, `${name} = ${r.value}`);
  }
  const [noRequests] = evaluateThresholds({ ...report, load: {} }, parseThresholds({ error_rate: '<0.01' }));
  t.same(noRequests, { metric: 'error_rate', expr: '<0.01', value: null, pass: false }, 'error_rate without requests is no data');
});

t.test('an untagged latency is the worst of the normal-traffic generators, never a scripted fault case', async (t) => {
  const base = fixture('pass');
  const stats = (generator: string, p99: number, extra: Partial<LoadStats> = {}): LoadStats => ({
    generator,
    durationMs: 1000,
    requests: 100,
    errors: 0,
    timeouts: 0,
    statuses: { '200': 100 },
    latencyMs: { p50: 1, p90: 2, p99, max: p99, mean: 1 },
    ...extra,
  });
  const report: Report = {
    ...base,
    load: {
      flood: stats('flood', 12, { kind: 'flood' }),
      'keepalive-2': stats('keepalive-2', 40, { kind: 'flood' }),
      tunnel: stats('tunnel', 0, { kind: 'tunnel', requests: 0, extra: { skipped: 1 } }),
      'origin-faults': stats('origin-faults', 2000, { kind: 'origin-faults' }),
      abuse: stats('abuse', 900, { kind: 'abuse' }),
    },
  };
  const value = (metric: string) => evaluateThresholds(report, parseThresholds({ [metric]: '<250' }))[0];
  t.same(
    value('p99_ms'),
    { metric: 'p99_ms', expr: '<250', value: 40, pass: true },
    'a renamed flood counts by its type; the fault cases do not',
  );
  t.equal(value('p99_ms{origin-faults}').value, 2000, 'narrowed, a scripted generator is read as asked');
  t.equal(value('max_ms').value, 40);
  const scriptedOnly = { ...report, load: { abuse: report.load.abuse } };
  t.same(
    evaluateThresholds(scriptedOnly, parseThresholds({ p99_ms: '<250' }))[0],
    { metric: 'p99_ms', expr: '<250', value: null, pass: false },
    'no normal traffic: no data, a failure',
  );
  // reports from before `kind`: known by name
  const { kind: _k, ...oldFlood } = report.load.flood;
  t.equal(
    evaluateThresholds({ ...report, load: { flood: oldFlood, abuse: report.load.abuse } }, parseThresholds({ p99_ms: '<250' }))[0].value,
    12,
  );
});
