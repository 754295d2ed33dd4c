// `handoff stress` against the reference proxy with credentials (issue 19, item 4): they reach the proxy by
// environment (never its argv), every generator sends Proxy-Authorization so the run can pass, and no report
// format, summary or the target's recorded command shows them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli, tempReportDir } from '../harness/helpers.js';

const SECRET = 'load:s3cret-pw';
const ENCODED = Buffer.from(SECRET).toString('base64');

t.test('stress with HANDOFF_PROXY_AUTH passes, and nothing shows the credential', async (t) => {
  const reportDir = tempReportDir(t);
  const r = await runCli(
    ['stress', '--strategy', 'inline', '--duration', '1s', '--format', 'json,md,html,junit', '--report-dir', reportDir, '--quiet'],
    {
      env: { HANDOFF_PROXY_AUTH: SECRET, GITHUB_STEP_SUMMARY: join(reportDir, 'step-summary.md') },
      timeoutMs: 120_000,
    },
  );
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(0, 500)})`);
  t.ok(r.report, 'a report');
  if (!r.report) return;
  const statuses = r.report.load.flood?.statuses ?? {};
  t.notOk('407' in statuses, `no 407 among the flood's answers (${JSON.stringify(statuses)})`);
  const correct = r.report.checks.find((c) => c.id === 'responses-correct');
  t.match(correct?.summary, /carried their own token/);
  const runDir = join(reportDir, r.report.runId);
  const shown = [r.stdout, r.stderr, readFileSync(join(reportDir, 'step-summary.md'), 'utf8')];
  for (const f of readdirSync(runDir)) shown.push(readFileSync(join(runDir, f), 'utf8'));
  for (const text of shown) {
    t.notOk(text.includes(SECRET) || text.includes('s3cret-pw') || text.includes(ENCODED), 'no credential in any report, log or summary');
  }
});
