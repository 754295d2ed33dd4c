// stress({ signal }): aborting stops the run where it is, as a Ctrl-C would — verdict interrupted (exit 130),
// recorded as the caller's abort, the target's processes cleaned up, long before the load would have ended.
import t from 'tap';
import { join } from 'node:path';
import { ABORTED, stress } from '../../src/index.js';
import { packageRoot } from '../../src/paths.js';
import { markedPids, tempReportDir } from '../harness/helpers.js';
import { schemaProblems } from '../schema/validator.js';

const server = join(packageRoot, 'examples', 'servers', 'forking-server.py');
const quick = {
  suite: join(packageRoot, 'examples', 'suites', 'smoke.json'),
  mode: 'server',
  config: false,
  command: ['python3', server, '{port}'],
} as const;

t.test('aborted during the load: interrupted, nothing left running', async (t) => {
  const controller = new AbortController();
  const lines: string[] = [];
  const started = Date.now();
  const running = stress({ ...quick, duration: '30s', reportDir: tempReportDir(t), signal: controller.signal, log: (l) => lines.push(l) });
  // abort once the load is under way
  const timer = setInterval(() => lines.some((l) => /^load/.test(l)) && controller.abort(), 50);
  const r = await running.finally(() => clearInterval(timer));
  t.ok(Date.now() - started < 20_000, `stopped early (${Date.now() - started} ms), not after the 30 s of load`);
  t.equal(r.verdict, 'interrupted');
  t.equal(r.exitCode, 130);
  t.notOk(r.passed);
  t.same(r.report.interruption && { signal: r.report.interruption.signal, phase: r.report.interruption.phase }, {
    signal: ABORTED,
    phase: 'load',
  });
  t.same(schemaProblems('report', r.report), []);
  t.same(markedPids(r.report.runId), [], "the target's processes are gone");
});

t.test('a signal aborted before the start: interrupted at once, no target left', async (t) => {
  const r = await stress({ ...quick, reportDir: tempReportDir(t), signal: AbortSignal.abort() });
  t.equal(r.verdict, 'interrupted');
  t.equal(r.report.interruption?.signal, ABORTED);
  t.equal(r.report.interruption?.phase, 'start');
  t.same(markedPids(r.report.runId), []);
});
