// The typed API as a user calls it from tap: stress() on a clean and a leaky server, assertClean's message
// carrying the evidence, options validated like the config file, and nothing left running.
import t from 'tap';
import { join } from 'node:path';
import { assertClean, LeakError, stress, UsageError } from '../../src/index.js';
import { packageRoot } from '../../src/paths.js';
import { markedPids, tempReportDir } from '../harness/helpers.js';

const server = join(packageRoot, 'examples', 'servers', 'forking-server.py');
const quick = { suite: join(packageRoot, 'examples', 'suites', 'smoke.json'), mode: 'server', config: false } as const;

t.test('a clean server passes and assertClean is silent', async (t) => {
  const reportDir = tempReportDir(t);
  const r = await stress({ ...quick, command: ['python3', server, '{port}'], reportDir });
  t.equal(r.verdict, 'pass', r.failures.map((c) => c.summary).join('; '));
  t.equal(r.exitCode, 0);
  t.ok(r.passed);
  t.same(r.failures, []);
  t.ok(r.runDir.startsWith(reportDir), 'the report went where it was asked to');
  t.doesNotThrow(() => assertClean(r));
  t.same(markedPids(r.report.runId), [], 'nothing of the run is left');
});

t.test('the parent that keeps its copy fails, and assertClean shows the evidence', async (t) => {
  const reportDir = tempReportDir(t);
  const r = await stress({ ...quick, command: ['python3', server, '{port}', '--leak'], reportDir, thresholds: { error_rate: '<5%' } });
  t.equal(r.verdict, 'fail');
  t.equal(r.exitCode, 1);
  t.ok(
    r.failures.some((c) => c.id === 'fds-drained'),
    'fds-drained names it',
  );
  const err = t.throws(() => assertClean(r)) as LeakError;
  t.type(err, LeakError);
  t.match(err.message, /^handoff: FAIL \(exit 1\) — report /);
  t.match(err.message, /fds-drained: .*kept fds/);
  t.match(err.message, /↳ pid \d+ fd \d+ → socket:\[\d+\]/, 'the first pieces of evidence, as text');
  t.equal(err.result, r);
  t.same(markedPids(r.report.runId), []);
});

t.test('options are checked as the config file is: a bad value or an unknown key is a UsageError naming it', async (t) => {
  await t.rejects(stress({ ...quick, command: ['true'], duration: 'soon' }), UsageError);
  await t.rejects(stress({ ...quick, command: ['true'], duration: 'soon' }), /stress\(\): run\.duration/);
  // @ts-expect-error a misspelt key is a type error, and refused at run time too
  await t.rejects(stress({ ...quick, strategy: 'inline', tresholds: {} }), /unknown key "tresholds"/);
  await t.rejects(stress({ ...quick, strategy: 'inline', thresholds: { p99_ms: 'fast' } }), UsageError);
});

t.test('loadThreads runs churn and flood in that many threads, bounded as --load-threads is', async (t) => {
  await t.rejects(stress({ ...quick, command: ['true'], loadThreads: 0 }), /stress\(\): run\.loadThreads/);
  await t.rejects(stress({ ...quick, command: ['true'], loadThreads: 65 }), /run\.loadThreads must be at most 64/);
  const reportDir = tempReportDir(t);
  // without it, a 2-core machine runs each in one thread (half its cores): the report would carry no thread count
  const r = await stress({ ...quick, command: ['python3', server, '{port}'], reportDir, loadThreads: 2 });
  t.equal(r.verdict, 'pass', r.failures.map((c) => c.summary).join('; '));
  t.equal(r.report.load.churn?.extra?.threads, 2, 'churn in two threads');
  t.equal(r.report.load.flood?.extra?.threads, 2, 'flood in two threads');
  t.same(markedPids(r.report.runId), []);
});
