// Verdicts on hand-made targets that behave like real servers nobody here wrote (a stock stdlib ForkingMixIn
// server, a periodic reaper, an exit with 143, a child exiting during the drain, a slow settler): each would have
// been misjudged before its fix. Each run is short; the cases run one after another.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runStress, type RunOptions } from '../../src/harness/run.js';
import { loadSuite, parseSuite } from '../../src/harness/suite.js';
import { packageRoot } from '../../src/paths.js';
import { check, failedIds, markedPids, runCli, tempReportDir } from './helpers.js';
import type { Report } from '../../src/model/report.js';

const fixture = join(packageRoot, 'test/harness/fixtures/stdlib-forking.py');
/** why a run is not a pass: its failing checks, or (none failing) its verdict and the evidence it gathered */
const failures = (r: Report): string =>
  r.checks
    .filter((c) => !c.pass)
    .map((c) => `${c.id}: ${c.summary}`)
    .join(' | ') ||
  `${r.verdict}; evidence ${JSON.stringify(r.evidenceFloor?.generators.map((g) => `${g.generator} ${g.count}/${g.floor}`))}`;

/** churn only: connections that each end a child, at a pace the fixture's lingering children can follow */
const churnOnly = (over: Record<string, unknown> = {}) =>
  parseSuite(
    { duration: '1s', drain: '3s', load: [{ generator: 'churn', connections: 1, eofBound: '1s' }], ...over },
    'test',
    'churn-only',
  );

function run(dir: string, flags: string[], over: Partial<RunOptions> = {}): Promise<Report> {
  return runStress({
    target: { kind: 'command', command: ['python3', fixture, '{port}', ...flags] },
    mode: 'server',
    echo: true,
    suite: churnOnly(),
    reportDir: dir,
    formats: ['json'],
    strictExit: false,
    ignore: [],
    sampleHz: 10,
    strategy: null,
    fault: null,
    ...over,
  }).then((r) => r.report);
}

t.test('exit 143 on SIGTERM (socat, JVMs) is a clean shutdown; --strict-exit still demands 0', async (t) => {
  const dir = tempReportDir(t);
  const r = await run(dir, ['--exit-143']);
  t.equal(r.verdict, 'pass', failures(r));
  t.match(check(r, 'clean-shutdown').summary, /with code 143/);
  const strict = await run(dir, ['--exit-143'], { strictExit: true });
  t.same(failedIds(strict), ['clean-shutdown']);
  t.same(markedPids(r.runId), []);
});

t.test('a parent that reaps once a second (Apache prefork) is not a zombie leaker', async (t) => {
  const dir = tempReportDir(t);
  for (let i = 1; i <= 2; i++) {
    const r = await run(dir, ['--reap-every', '1']);
    t.equal(r.verdict, 'pass', `run ${i}: ${failures(r)}`);
    t.match(
      check(r, 'no-zombies').summary,
      /zombies? seen, each reaped within the 3000 ms bound/,
      'it did see zombies, and judged them by time',
    );
  }
});

t.test('a child that exits during the drain and is never reaped is caught, every time', async (t) => {
  const dir = tempReportDir(t);
  for (let i = 1; i <= 3; i++) {
    const r = await run(dir, ['--reap-on-accept-only', '--linger', '0.4']);
    t.ok(failedIds(r).includes('no-zombies'), `run ${i}: no-zombies fails (failed: ${failures(r)})`);
    t.match(check(r, 'no-zombies').summary, /never reaped \(parent pid \d+\): still there at the end of the drain/);
    t.same(markedPids(r.runId), [], 'the zombies went with their parent');
  }
});

t.test('a slow but steady return to rest is given time past the drain deadline; a stuck child is not', async (t) => {
  const dir = tempReportDir(t);
  // children linger 0–5 s after their connection: past a 2 s drain, converging all the way
  const slow = await run(dir, ['--linger-max', '5'], { suite: churnOnly({ duration: '0.5s', drain: '2s' }) });
  t.equal(slow.verdict, 'pass', failures(slow));
  // a child that lingers 30 s is not converging: the drain ends at its deadline, and the check says why
  const stuck = await run(dir, ['--linger', '30'], { suite: churnOnly({ duration: '0.3s', drain: '1s', drainExtension: '3s' }) });
  t.ok(failedIds(stuck).includes('children-drained'), failures(stuck));
  const drain = stuck.phases.find((p) => p.name === 'drain')!;
  t.ok(drain.end - drain.start < 3_500, `a stuck tree is not waited for until the extension's end (${drain.end - drain.start} ms)`);
});

t.test('the stock stdlib ForkingMixIn server passes the default suite; how it answers bad input is a protocol finding', async (t) => {
  const dir = tempReportDir(t);
  const r = await run(dir, [], { suite: loadSuite('ci'), formats: ['json', 'md', 'junit'] });
  t.equal(r.verdict, 'pass', failures(r));
  t.equal(r.protocol?.gated, false);
  const clte = r.protocol?.findings.find((f) => f.case === 'cl-te');
  t.match(clte, { generator: 'abuse', expected: 'refused', got: /^200/ }, 'it answers Content-Length with Transfer-Encoding with 200');
  const md = readFileSync(join(dir, r.runId, 'report.md'), 'utf8');
  t.match(md, /### Protocol findings[\s\S]*abuse cl-te: expected refused, got 200/);
  t.match(readFileSync(join(dir, r.runId, 'junit.xml'), 'utf8'), /<testcase name="protocol findings"/);
  // opting in to gate on them: the same answers fail the error budget (cl-te alone, at least 5 times: more than the
  // budget's 2 whatever else the round happened to run)
  const clteOnly = parseSuite(
    { duration: '1s', drain: '3s', load: [{ generator: 'abuse', connections: 1, cases: ['cl-te'], floor: 5 }] },
    'test',
    'cl-te',
  );
  const strict = await run(dir, [], { suite: clteOnly, strictProtocol: true });
  t.ok(failedIds(strict).includes('error-budget'), failures(strict));
  t.equal(strict.protocol?.gated, true);
  t.same(strict.protocol?.findings, [], 'gated answers are counted as unexpected statuses instead');
});

t.test(
  'a pass on too little evidence is inconclusive (exit 4), never 0; a failure found on little evidence is still a failure',
  async (t) => {
    const dir = tempReportDir(t);
    const suite = join(dir, 'tiny.json');
    writeFileSync(
      suite,
      JSON.stringify({ duration: '0.3s', drain: '2s', loadCap: '1s', load: [{ generator: 'churn', connections: 1, floor: 1_000_000 }] }),
    );
    const args = [
      'stress',
      '--suite',
      suite,
      '--mode',
      'server',
      '--echo',
      '--report-dir',
      dir,
      '--format',
      'json,md,junit',
      '--quiet',
      '--',
      'python3',
      fixture,
      '{port}',
    ];
    const r = await runCli(args);
    t.equal(r.code, 4, r.stderr);
    t.match(r.stdout, /handoff stress: INCONCLUSIVE/);
    t.match(
      r.stdout,
      /inconclusive: not enough evidence for a verdict within the 1\.00 s load cap \(\d+ rounds\): churn: \d+ of 1000000 connections EOF-timed/,
    );
    t.equal(r.report?.verdict, 'inconclusive');
    t.equal(r.report?.exitCode, 4);
    t.equal(r.report?.evidenceFloor?.met, false);
    const runDir = join(dir, r.report!.runId);
    t.match(readFileSync(join(runDir, 'report.md'), 'utf8'), /INCONCLUSIVE[\s\S]*### Evidence gathered/);
    t.match(readFileSync(join(runDir, 'junit.xml'), 'utf8'), /<error message="not enough evidence/);
    const leaky = await runCli([...args, '--reap-on-accept-only', '--linger', '0.3']);
    t.equal(leaky.code, 1, 'the zombie is found all the same');
    t.equal(leaky.report?.verdict, 'fail');
  },
);
