// Every named suite runs clean against per-connection (severe: the cap holds; chaos: killed children reaped),
// and the shutdown suite fails on the orphan-on-shutdown canary.
import t from 'tap';
import { allSuites, failing, markedPids, reportsIn, runCli, tempReportDir } from './helpers.js';

t.test('--suite all passes on per-connection', async (t) => {
  const dir = tempReportDir(t);
  const r = await runCli(
    ['stress', '--suite', 'all', '--strategy', 'per-connection', '--duration', '2s', '--connections', '4', '--report-dir', dir, '--quiet'],
    { timeoutMs: 400_000 },
  );
  const reports = reportsIn(dir);
  t.same([...reports.keys()].sort(), allSuites(), 'one run per suite');
  for (const [suite, report] of reports) t.equal(report.verdict, 'pass', `${suite}: ${failing(report)}`);
  t.equal(r.code, 0, `exit 0 (${r.stderr.slice(-300)})`);

  const severe = reports.get('severe')!;
  t.equal(severe.target.pool?.cap, 8, 'severe sets --max-children 8');
  t.equal(severe.target.options?.maxChildren, 8);
  t.ok(severe.peaks.children <= 8 && severe.peaks.children > 0, `peak ${severe.peaks.children} children within the cap of 8`);
  t.ok((severe.load.churn.extra?.peakConnections ?? 0) >= 24, 'churn ramped to 3× the cap');
  t.ok(severe.checks.find((c) => c.id === 'max-children')?.pass, 'max-children holds');

  const chaos = reports.get('chaos')!;
  const x = chaos.load.chaos.extra!;
  t.ok(x.kills >= 1, `${x.kills} children killed`);
  t.equal(x.reaped, x.kills, 'every killed child reaped');
  t.ok(chaos.checks.find((c) => c.id === 'children-drained')?.pass && chaos.checks.find((c) => c.id === 'no-zombies')?.pass);
  t.match(chaos.target.command.join(' '), /^prlimit --nofile=256:256 -- /, 'chaos runs under a low descriptor limit');

  const shutdown = reports.get('shutdown')!;
  t.equal(shutdown.load.chaos.extra?.sigterm, 1, 'SIGTERM under load');
  t.ok(shutdown.checks.find((c) => c.id === 'clean-shutdown')?.pass, 'clean-shutdown passes');
  t.same(
    [...reports.values()].flatMap((rep) => markedPids(rep.runId)),
    [],
    'nothing left running',
  );
});

t.test('shutdown suite catches orphan-on-shutdown', async (t) => {
  const dir = tempReportDir(t);
  const r = await runCli(
    [
      'stress',
      '--suite',
      'shutdown',
      '--strategy',
      'per-connection',
      '--fault',
      'orphan-on-shutdown',
      '--duration',
      '2s',
      '--report-dir',
      dir,
      '--quiet',
    ],
    { timeoutMs: 120_000 },
  );
  t.equal(r.code, 1, 'exit 1');
  const report = [...reportsIn(dir).values()][0];
  t.equal(report?.load.chaos.extra?.sigterm, 1, 'SIGTERM under load');
  const failed = report?.checks.filter((c) => !c.pass).map((c) => c.id) ?? [];
  t.ok(failed.includes('clean-shutdown'), `clean-shutdown fails (${failed.join(', ')})`);
  t.ok(failed.includes('no-orphans'), 'no-orphans fails');
  t.same(report ? markedPids(report.runId) : [], [], 'the harness killed the orphans');
});
