import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReports } from '../../src/report/write.js';
import { parseFormats } from '../../src/report/formats.js';
import { readReport } from '../../src/report/read.js';
import { cliPath } from '../../src/paths.js';
import { fixture, fixturesDir } from './fixtures.js';

const temp = (t: { teardown(fn: () => void): void }): string => {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-write-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('parseFormats: json always, all, aliases, unknown is a usage error', async (t) => {
  t.same(parseFormats('md'), ['json', 'md']);
  t.same(parseFormats('junit, html'), ['json', 'html', 'junit']);
  t.same(parseFormats('all'), ['json', 'md', 'html', 'junit']);
  t.same(parseFormats(undefined), ['json', 'md', 'html', 'junit']);
  t.same(parseFormats('markdown,xml'), ['json', 'md', 'junit']);
  t.throws(() => parseFormats('pdf'), { name: 'UsageError', message: /unknown report format "pdf"/ });
  t.throws(() => parseFormats(''), { name: 'UsageError' });
});

t.test('writeReports writes json plus the chosen formats, points latest at the run, appends the step summary', async (t) => {
  const root = temp(t);
  const summary = join(root, 'step-summary.md');
  writeFileSync(summary, 'earlier step\n');
  const runA = join(root, 'reports', 'run-a');
  const written = await writeReports(fixture('fail'), runA, ['md', 'junit'], { stepSummary: summary });
  t.same(
    written.map((f) => f.slice(runA.length + 1)),
    ['report.json', 'report.md', 'junit.xml'],
  );
  t.notOk(existsSync(join(runA, 'report.html')));
  t.same(readReport(runA), fixture('fail'), 'report.json round-trips');
  t.ok(lstatSync(join(root, 'reports', 'latest')).isSymbolicLink());
  t.equal(readlinkSync(join(root, 'reports', 'latest')), 'run-a', 'relative link, survives moving reports/');
  const appended = readFileSync(summary, 'utf8');
  t.ok(appended.startsWith('earlier step\n## handoff: ❌ FAIL'), 'appended, not overwritten');
  t.equal(appended.slice('earlier step\n'.length), `${readFileSync(join(runA, 'report.md'), 'utf8')}\n`, 'the same Markdown');

  const runB = join(root, 'reports', 'run-b');
  await writeReports(fixture('pass'), runB, [], { stepSummary: null });
  t.equal(readlinkSync(join(root, 'reports', 'latest')), 'run-b', 'latest moves to the newest run');
  t.same(JSON.parse(readFileSync(join(root, 'reports', 'latest', 'report.json'), 'utf8')).verdict, 'pass');
  t.equal(readFileSync(summary, 'utf8'), appended, 'stepSummary: null leaves the summary alone');
});

t.test('GITHUB_STEP_SUMMARY from the environment; a real latest directory is left alone with a warning', async (t) => {
  const root = temp(t);
  const summary = join(root, 'summary.md');
  const saved = process.env.GITHUB_STEP_SUMMARY;
  process.env.GITHUB_STEP_SUMMARY = summary;
  t.teardown(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
  });
  mkdirSync(join(root, 'latest'));
  const warnings: string[] = [];
  await writeReports(fixture('pass'), join(root, 'run'), ['json'], { warn: (m) => warnings.push(m) });
  t.match(readFileSync(summary, 'utf8'), /^## handoff: ✅ PASS/);
  t.ok(lstatSync(join(root, 'latest')).isDirectory(), 'the directory was not replaced');
  t.match(warnings, [/latest pointer: .*not a symlink/]);
});

t.test('handoff report <run-dir> re-renders md, html and junit from report.json', async (t) => {
  const root = temp(t);
  const run = join(root, 'run');
  mkdirSync(run);
  copyFileSync(join(fixturesDir, 'fail', 'report.json'), join(run, 'report.json'));
  const before = readFileSync(join(run, 'report.json'), 'utf8');
  const r = spawnSync(process.execPath, [cliPath(), 'report', run], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GITHUB_STEP_SUMMARY: '' },
  });
  t.equal(r.status, 0, r.stderr);
  t.same(
    r.stdout.trim().split('\n'),
    ['report.md', 'report.html', 'junit.xml'].map((f) => join(run, f)),
  );
  t.match(readFileSync(join(run, 'report.html'), 'utf8'), /✘ FAIL · exit code 1/);
  t.equal(readFileSync(join(run, 'report.json'), 'utf8'), before, 'report.json untouched');
  t.notOk(existsSync(join(root, 'latest')), 're-rendering does not move latest');

  const only = spawnSync(process.execPath, [cliPath(), 'report', run, '--format', 'md'], { encoding: 'utf8', timeout: 60_000 });
  t.equal(only.status, 0);
  t.same(only.stdout.trim().split('\n'), [join(run, 'report.md')]);
});

t.test('handoff report: a missing dir, broken JSON or foreign schema is exit 2 with one line', async (t) => {
  const root = temp(t);
  const run = (dir: string) => spawnSync(process.execPath, [cliPath(), 'report', dir], { encoding: 'utf8', timeout: 60_000 });
  let r = run(join(root, 'nope'));
  t.equal(r.status, 2);
  t.match(r.stderr, /no such run directory/);
  writeFileSync(join(root, 'report.json'), '{"schema": 1,');
  r = run(root);
  t.equal(r.status, 2);
  t.match(r.stderr, /invalid JSON/);
  writeFileSync(join(root, 'report.json'), JSON.stringify({ ...fixture('pass'), schema: 99 }));
  r = run(root);
  t.equal(r.status, 2);
  t.match(r.stderr, /schema 99, this handoff reads schema 1/);
  t.equal(r.stderr.trim().split('\n').length, 1);
  r = spawnSync(process.execPath, [cliPath(), 'report', join(fixturesDir, 'pass'), '--format', 'pdf'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(r.status, 2);
  t.match(r.stderr, /unknown report format "pdf"/);
});
