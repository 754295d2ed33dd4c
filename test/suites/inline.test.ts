// Every named suite runs clean against the inline strategy, through `--suite all` (durations scaled down).
import t from 'tap';
import { allSuites, failing, markedPids, reportsIn, runCli, tempReportDir } from './helpers.js';

t.test('--suite all passes on inline', async (t) => {
  const dir = tempReportDir(t);
  const r = await runCli(['stress', '--suite', 'all', '--strategy', 'inline', '--duration', '1s', '--report-dir', dir, '--quiet'], {
    timeoutMs: 240_000,
  });
  const reports = reportsIn(dir);
  t.same([...reports.keys()].sort(), allSuites(), 'one run per suite');
  for (const [suite, report] of reports) {
    t.equal(report.verdict, 'pass', `${suite}: ${failing(report)}`);
    const requests = Object.values(report.load).reduce((s, l) => s + l.requests, 0);
    t.ok(requests > 0, `${suite}: ${requests} requests`);
  }
  t.equal(r.code, 0, `exit 0 (${r.stderr.slice(-300)})`);
  t.equal((r.stdout.match(/^handoff stress: PASS/gm) ?? []).length, reports.size, 'a summary per suite');
  const abuse = reports.get('abuse');
  t.equal(abuse?.load.abuse.extra?.mismatches, 0, 'abuse: every case as expected');
  t.ok((abuse?.load.abuse.extra?.['slowloris.ok'] ?? 0) > 0, "slowloris closed by the suite's 2 s headers timeout");
  t.match(reports.get('tunnel')?.target.command.join(' ') ?? '', /--connect-ports 443,\d+/, 'CONNECT allowed to the harness echo port');
  t.same(
    [...reports.values()].flatMap((rep) => markedPids(rep.runId)),
    [],
    'nothing left running',
  );
});
