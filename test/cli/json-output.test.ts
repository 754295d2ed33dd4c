// `handoff stress --json` as a CI script reads it: stdout is the report and nothing else (it parses, it validates
// against the shipped schema, it is the report.json on disk), the human summary goes to stderr, and on GitHub
// Actions the annotations come with it, on stderr too. Real short runs of the reference proxy.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import type { Report } from '../../src/model/report.js';
import { markedPids, runCli, tempReportDir } from '../harness/helpers.js';
import { schemaProblems } from '../schema/validator.js';

const smoke = join(packageRoot, 'examples', 'suites', 'smoke.json');
const notOnActions = { GITHUB_ACTIONS: 'false', GITHUB_STEP_SUMMARY: '' };

t.test('a passing run: the report on stdout, valid, the same as report.json; the summary on stderr', async (t) => {
  const dir = tempReportDir(t);
  const r = await runCli(['stress', '--strategy', 'inline', '--suite', smoke, '--report-dir', dir, '--json', '--quiet'], {
    env: notOnActions,
  });
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  t.same(schemaProblems('report', report), []);
  t.equal(report.verdict, 'pass');
  t.same(report, JSON.parse(readFileSync(join(dir, report.runId, 'report.json'), 'utf8')), 'what report.json says');
  t.match(r.stderr, /handoff stress: PASS \(suite smoke, strategy inline\)/);
  t.notMatch(r.stderr, /^::/m, 'no workflow commands off GitHub Actions');
  t.same(markedPids(report.runId), []);
});

t.test("a failing run on GitHub Actions: exit 1, valid JSON with the gate's fields, one ::error per failure", async (t) => {
  const dir = tempReportDir(t);
  const soon = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const config = join(dir, 'handoff.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      thresholds: { error_rate: '<5%', requests: '>100000000' },
      allowList: [{ check: 'no-zombies', match: 'nothing-like-this', reason: 'JIRA-1: reaper', expires: soon }],
    }),
  );
  const r = await runCli(
    [
      'stress',
      '--strategy',
      'per-connection',
      '--fault',
      'no-parent-close',
      '--suite',
      smoke,
      '--drain',
      '1s',
      '--config',
      config,
      '--report-dir',
      dir,
      '--json',
      '--quiet',
    ],
    { env: { ...notOnActions, GITHUB_ACTIONS: 'true' } },
  );
  t.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  t.same(schemaProblems('report', report), []);
  t.equal(report.verdict, 'fail');
  t.ok(report.thresholds?.length && report.allowList?.length, "the gate's results are in it");
  const failed = report.checks.filter((c) => !c.pass && !c.allowedBy).map((c) => c.id);
  t.ok(failed.includes('sockets-drained') || failed.includes('fds-drained'), failed.join(','));
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('::error '));
  for (const id of failed)
    t.equal(
      errors.filter((l) => l.startsWith(`::error title=handoff ${id} (smoke%2C per-connection)::${id} failed: `)).length,
      1,
      `one ::error for ${id}`,
    );
  t.equal(errors.filter((l) => l.startsWith('::error title=handoff threshold requests::')).length, 1, 'and one for the failed threshold');
  t.equal(errors.length, failed.length + 1);
  t.match(
    r.stderr,
    /^::warning title=handoff allow-list entry expires soon::allow-list entry #1 .*expires on \d{4}-\d\d-\d\d \(in [23] days\)/m,
  );
  t.same(markedPids(report.runId), []);
});

t.test('a usage error with --json: nothing on stdout, one line on stderr, exit 2', async (t) => {
  const r = await runCli(['stress', '--strategy', 'inline', '--duration', 'soon', '--json'], { env: notOnActions });
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^handoff: .*duration/);
});

t.test('compare --json: the comparison on stdout (the comparison.json written), the summary on stderr', async (t) => {
  const dir = tempReportDir(t);
  const suite = join(packageRoot, 'test', 'compare', 'targets', 'flood-churn.json');
  const r = await runCli(
    ['compare', '--suite', suite, '--strategy', 'inline', '--duration', '800ms', '--report-dir', dir, '--json', '--quiet'],
    { env: notOnActions, timeoutMs: 120_000 },
  );
  t.equal(r.code, 0, r.stderr);
  const comparison = JSON.parse(r.stdout) as { id: string; runs: unknown[] };
  t.same(comparison, JSON.parse(readFileSync(join(dir, comparison.id, 'comparison.json'), 'utf8')));
  t.equal(comparison.runs.length, 1);
  t.match(r.stderr, /^handoff compare: PASS \(exit 0\)/m);
});
