// `handoff compare` for real, through the CLI: two clean strategies interleaved (exit 0, rows for both,
// every file and run directory written, order A B A B), a clean strategy against a leaky command target
// (the leak shows, exit 1), a target that cannot start (exit 3, later reps skipped) and usage errors (exit 2).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { compareOptionsFromFlags } from '../../src/cli/compare.js';
import type { Comparison } from '../../src/compare/types.js';
import { packageRoot } from '../../src/paths.js';
import type { Report } from '../../src/model/report.js';
import { markedPids, runCli, tempReportDir } from '../harness/helpers.js';
import { browse, chromiumMissing } from './browser.js';

const TINY_PROXY = join(packageRoot, 'test/compare/targets/tiny-proxy.py');
/** flood + churn, 800 ms: the tests do not follow the ci suite as it grows */
const SUITE = join(packageRoot, 'test/compare/targets/flood-churn.json');

/** The one comparison directory a run of the CLI made under reportDir, and its comparison.json. */
function comparisonIn(reportDir: string): { dir: string; comparison: Comparison } {
  const dirs = readdirSync(reportDir).filter((d) => d.startsWith('compare-'));
  if (dirs.length !== 1) throw new Error(`expected one comparison directory in ${reportDir}, found ${dirs.join(', ') || 'none'}`);
  const dir = join(reportDir, dirs[0]);
  return { dir, comparison: JSON.parse(readFileSync(join(dir, 'comparison.json'), 'utf8')) as Comparison };
}

const runReport = (dir: string, runDir: string): Report => JSON.parse(readFileSync(join(dir, runDir, 'report.json'), 'utf8')) as Report;

t.test('two clean strategies, repeated twice: interleaved, exit 0, a row each, every file written', async (t) => {
  const reportDir = tempReportDir(t);
  const r = await runCli(
    [
      'compare',
      '--suite',
      SUITE,
      '--strategy',
      'inline,per-connection',
      '--repeat',
      '2',
      '--duration',
      '800ms',
      '--report-dir',
      reportDir,
      '--quiet',
    ],
    { timeoutMs: 120_000 },
  );
  const { dir, comparison: c } = comparisonIn(reportDir);
  const failing = c.runs
    .filter((x) => x.status !== 'pass')
    .map((x) => `${x.target}#${x.rep}: ${x.status} ${x.metrics?.failedChecks.join(',') ?? x.message}`);
  t.equal(r.code, 0, `exit 0 ${failing.join(' | ')} ${r.code === 0 ? '' : r.stderr.slice(-400)}`);
  t.match(r.stdout, /^handoff compare: PASS \(exit 0\)/);
  t.match(r.stdout, /\n {2}inline +pass 2\/2 /);
  t.match(r.stdout, /\n {2}per-connection +pass 2\/2 /);

  for (const f of ['comparison.json', 'comparison.md', 'comparison.html']) t.ok(existsSync(join(dir, f)), `${f} written`);
  t.same(
    c.targets.map((x) => x.label),
    ['inline', 'per-connection'],
  );
  t.equal(c.repeat, 2);
  t.equal(c.overrides.durationMs, 800, '--duration recorded as an override');
  t.equal(c.suite, 'flood-churn');
  // the latency column comes from the generator that answered the most requests over all runs
  const totals = new Map<string, number>();
  for (const run of c.runs)
    for (const [g, x] of Object.entries(run.metrics?.perGenerator ?? {})) totals.set(g, (totals.get(g) ?? 0) + x.requests);
  const busiest = [...totals].sort((a, b) => b[1] - a[1])[0]?.[0];
  t.equal(c.latencyFrom, busiest, `latency from the busiest generator (${[...totals].map(([g, n]) => `${g} ${n}`).join(', ')})`);
  t.same(
    c.runs.map((x) => `${x.target}#${x.rep}`),
    ['inline#1', 'per-connection#1', 'inline#2', 'per-connection#2'],
    'A B A B',
  );
  // the order is real: each run's own report started after the previous one's
  const reports = c.runs.map((x) => runReport(dir, x.runDir!));
  const starts = reports.map((rep) => Date.parse(rep.startedAt));
  t.same(
    [...starts].sort((a, b) => a - b),
    starts,
    'runs executed in that order',
  );
  t.same(
    reports.map((rep) => rep.strategy),
    ['inline', 'per-connection', 'inline', 'per-connection'],
  );
  for (const x of c.runs) {
    for (const f of ['report.json', 'report.md', 'report.html'])
      t.ok(existsSync(join(dir, x.runDir!, f)), `run ${x.order} keeps its own ${f}`);
  }
  for (const target of c.targets) {
    t.equal(target.requestsPerSec.n, 2, `${target.label}: a median over two runs`);
    t.ok(target.requestsPerSec.median! > 0, `${target.label}: ${target.requestsPerSec.median} req/s`);
    t.equal(target.timeToQuietMs.never, 0, `${target.label} was quiet after every run`);
    t.comment(
      `${target.label}: ${target.requestsPerSec.median?.toFixed(1)} req/s, flood p99 ${target.p99Ms.median} ms, peak children ${target.peakChildren.median}, peak RSS ${Math.round((target.peakRssBytes.median ?? 0) / 1048576)} MiB`,
    );
  }
  t.ok(c.targets[1].peakChildren.max! >= 1, 'per-connection started children, inline none');
  t.equal(c.targets[0].peakChildren.max, 0);

  const md = readFileSync(join(dir, 'comparison.md'), 'utf8');
  t.match(md, /\n\| inline \| ✅ pass 2\/2 \|/);
  t.match(md, /\n\| per-connection \| ✅ pass 2\/2 \|/);
  for (const x of c.runs) t.ok(md.includes(`](${x.runDir}/report.html)`), `run ${x.order} linked from the Markdown`);
  t.match(readFileSync(join(dir, 'comparison.html'), 'utf8'), /<tr class="pass" data-target="per-connection">/);
  for (const x of c.runs) t.same(markedPids(x.runId!), [], `nothing of run ${x.order} left running`);

  await t.test('the real comparison.html renders in Chromium', { skip: chromiumMissing() }, async (t) => {
    const seen = await browse(join(dir, 'comparison.html'));
    t.ok(seen.charts >= 3 && seen.canvases === seen.charts, `${seen.charts} timeline charts drawn`);
    t.same(seen.problems, [], 'no console errors, exceptions or network requests');
  });
});

t.test('a clean strategy against a leaky command target: the leak column and exit 1', async (t) => {
  const reportDir = tempReportDir(t);
  const r = await runCli(
    [
      'compare',
      '--suite',
      SUITE,
      '--strategy',
      'inline',
      '--cmd',
      `python3 '${TINY_PROXY}' {port} --leave-child`,
      '--drain',
      '1s',
      '--report-dir',
      reportDir,
      '--quiet',
    ],
    { timeoutMs: 120_000 },
  );
  t.equal(r.code, 1, `exit 1 ${r.code === 1 ? '' : r.stderr.slice(-400)}`);
  const { dir, comparison: c } = comparisonIn(reportDir);
  t.same(
    c.targets.map((x) => x.label),
    ['inline', 'python3 tiny-proxy.py --leave-child'],
  );
  const [inline, leaky] = c.targets;
  t.equal(inline.verdict, 'pass', `inline passes: ${inline.leaks.map((l) => l.check).join(', ')}`);
  t.equal(leaky.verdict, 'fail');
  const leaks = leaky.leaks.map((l) => l.check);
  for (const id of ['children-drained', 'no-orphans']) t.ok(leaks.includes(id), `${id} in the leak column (${leaks.join(', ')})`);
  t.ok(leaky.requestsPerSec.median! > 0, 'the python proxy did forward the load');
  t.same(leaky.command, ['python3', TINY_PROXY, '{port}', '--leave-child']);
  const row = readFileSync(join(dir, 'comparison.md'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('| python3 tiny-proxy.py'));
  t.match(row, /❌ FAIL .*children-drained.*no-orphans/, 'the Markdown row names the leaks');
  t.match(r.stdout, /python3 tiny-proxy\.py --leave-child +FAIL .*children-drained/);
  t.equal(runReport(dir, c.runs[1].runDir!).target.kind, 'command', 'its own run report is a normal one');
  for (const x of c.runs) t.same(markedPids(x.runId!), [], `nothing of run ${x.order} left running (the orphan was killed)`);
});

t.test('a target that cannot start: exit 3, its later reps skipped, the comparison still written', async (t) => {
  const reportDir = tempReportDir(t);
  const r = await runCli([
    'compare',
    '--cmd',
    `sh -c 'echo refusing to start >&2; exit 7'`,
    '--repeat',
    '2',
    '--report-dir',
    reportDir,
    '--quiet',
  ]);
  t.equal(r.code, 3, r.stderr);
  const { dir, comparison: c } = comparisonIn(reportDir);
  t.same(
    c.runs.map((x) => x.status),
    ['not-started', 'not-started'],
  );
  t.match(c.runs[0].message, /exited before it accepted connections.*refusing to start/);
  t.match(c.runs[1].message, /skipped/);
  t.equal(c.targets[0].verdict, 'not-started');
  t.ok(existsSync(join(dir, c.runs[0].runDir!, 'target.stderr.log')), 'its run directory keeps the target output');
  t.match(readFileSync(join(dir, 'comparison.md'), 'utf8'), /\[target stderr\]\(runs\/[^)]+\/target\.stderr\.log\)/);
});

t.test('usage errors: exit 2 with one line, nothing run', async (t) => {
  const reportDir = tempReportDir(t);
  // through the real CLI: the exit code and the one-line message
  const cli: [string[], RegExp][] = [
    [[], /nothing to compare/],
    [['--strategy', 'inline,teleport'], /unknown strategy "teleport"/],
    [['--strategy', 'inline', '--repeat', '0'], /invalid --repeat "0"/],
  ];
  for (const [args, message] of cli) {
    const r = await runCli(['compare', '--report-dir', reportDir, ...args]);
    t.equal(r.code, 2, `${args.join(' ') || '(no targets)'} → exit 2`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  // the rest in-process: every target's options are validated before anything runs
  const inProcess: [Record<string, unknown>, RegExp][] = [
    [{ strategy: 'inline', repeat: 'twice' }, /invalid --repeat/],
    [{ strategy: 'inline', duration: 'soon' }, /invalid --duration/],
    [{ strategy: 'inline', suite: 'no-such-suite' }, /unknown suite "no-such-suite"/],
    [{ strategy: 'inline', mode: 'server' }, /--mode server compares command targets only/],
    [{ strategy: 'inline', echo: true }, /--echo applies to command targets \(--cmd\)/],
    [{ strategy: 'inline', expectStatus: '404' }, /--expect-status applies to command targets \(--cmd\), not to --strategy/],
    [{ cmd: [`python3 'unterminated {port}`] }, /unterminated ' quote/],
    [{ strategy: 'inline', format: 'junit' }, /unknown comparison format "junit"/],
    [{ strategy: 'inline', cmd: ['python3 x.py {port}'], mode: 'sideways' }, /invalid --mode/],
  ];
  for (const [flags, message] of inProcess)
    t.throws(() => compareOptionsFromFlags(flags), { name: 'UsageError', message }, JSON.stringify(flags));
  const ok = compareOptionsFromFlags({ strategy: 'inline', cmd: ['python3 x.py {port}'], duration: '2s', connections: '3' });
  t.same(
    ok.targets.map((x) => [x.run.target.kind, x.run.durationMs, x.run.connections]),
    [
      ['reference-proxy', 2000, 3],
      ['command', 2000, 3],
    ],
    'identical load for every target',
  );
  t.same(readdirSync(reportDir), [], 'no comparison started');
});

t.test('--config: its suites, run settings, thresholds and report directory apply to every run', async (t) => {
  const dir = tempReportDir(t);
  const config = join(dir, 'handoff.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      suite: 'tiny',
      suites: { tiny: SUITE },
      run: { duration: '600ms' },
      report: { dir: 'out' },
      // a gate only the process-per-connection strategy trips: it starts children, inline none
      thresholds: { peak_children: '<1' },
      // compare's targets come from its flags: a config target is not one of them
      target: { strategy: 'prefork' },
    }),
  );
  const r = await runCli(['compare', '--config', config, '--strategy', 'inline,per-connection', '--quiet'], { timeoutMs: 120_000 });
  const { dir: cdir, comparison: c } = comparisonIn(join(dir, 'out'));
  t.equal(r.code, 1, 'exit 1: one target failed its gate');
  t.equal(c.suite, 'tiny', "the config's suite, by the name it gives it");
  t.equal(c.overrides.durationMs, 600, "the config's duration");
  t.same(
    c.targets.map((x) => x.label),
    ['inline', 'per-connection'],
    'the targets of the flags, not of the config',
  );
  t.same(
    c.runs.map((x) => `${x.target}:${x.status}`),
    ['inline:pass', 'per-connection:fail'],
  );
  const gated = runReport(cdir, c.runs[1].runDir!);
  t.ok(gated.checks.length > 0 && gated.verdict === 'fail', 'the failing run is gated by the threshold');
  t.match(JSON.stringify(gated), /peak_children/, 'and its report says which threshold');
});

t.test('--expect-status reaches every command target of a comparison', async (t) => {
  const options = compareOptionsFromFlags({ cmd: ['python3 a.py {port}', 'python3 b.py {port}'], mode: 'server', expectStatus: '2xx,404' });
  for (const { run } of options.targets) t.same([run.suite.expectStatus?.length, run.suite.expectStatus?.at(-1)], [101, 404]);
  const plain = compareOptionsFromFlags({ cmd: ['python3 a.py {port}'], mode: 'server' });
  t.equal(plain.targets[0].run.suite.expectStatus, null, 'the suite default (2xx) otherwise');
});
