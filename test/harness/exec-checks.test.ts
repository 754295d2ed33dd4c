// The checks of `handoff exec` on hand-made observations (each passes on a clean case and fails on a leak, with
// evidence naming the process or socket), how the command's own status folds into the exit code, and that an exec
// report is a valid report.json.
import t from 'tap';
import { EXEC_CHECKS, evaluateExec, type ExecObservations } from '../../src/harness/checks/exec.js';
import { execExitCode } from '../../src/harness/exec.js';
import type { OwnedSocket, ProcessSnapshot } from '../../src/harness/probes/types.js';
import { EXIT, type Report } from '../../src/model/report.js';
import { reportProblems } from '../../src/report/validate.js';

const proc = (pid: number, over: Partial<ProcessSnapshot> = {}): ProcessSnapshot => ({
  pid,
  starttime: pid * 10,
  ppid: 1,
  pgrp: pid,
  state: 'S',
  cmdline: 'sleep 300',
  depth: -1,
  fds: [],
  rssBytes: 0,
  cpuTicks: 0,
  ...over,
});
const listen: OwnedSocket = {
  localAddress: '127.0.0.1',
  localPort: 8080,
  remoteAddress: '0.0.0.0',
  remotePort: 0,
  state: 'LISTEN',
  inode: 77,
  pid: 42,
  fd: 3,
};

const clean = (): ExecObservations => ({
  adoptsOrphans: true,
  leftovers: [],
  zombiesLeft: [],
  zombieSpans: [],
  zombieBoundMs: 3000,
  descendantsSeen: 4,
  sockets: [],
  graceMs: 1000,
  firstSeen: () => 12,
});

t.test('every exec check passes on a command that left nothing', async (t) => {
  const results = evaluateExec(clean());
  t.same(
    results.map((c) => c.id),
    ['no-orphans', 'no-zombies', 'sockets-drained'],
  );
  t.ok(
    results.every((c) => c.pass),
    results.map((c) => c.summary).join(' | '),
  );
  t.match(results[0]!.summary, /nothing outlived the command by 1000 ms \(4 descendants/);
  t.equal(EXEC_CHECKS.length, 3);
});

t.test('a leftover fails no-orphans naming it and how it was found; its socket fails sockets-drained', async (t) => {
  const obs = { ...clean(), leftovers: [{ process: proc(42), via: 'adopted' as const }], sockets: [listen] };
  const [orphans, zombies, sockets] = evaluateExec(obs);
  t.equal(orphans!.pass, false);
  t.match(orphans!.summary, /1 process outlived the command by 1000 ms: sleep/);
  t.match(orphans!.evidence[0], { kind: 'process', pid: 42, cmdline: 'sleep 300', note: /reparented to the harness.*holds 1 TCP socket/ });
  t.equal(zombies!.pass, true);
  t.equal(sockets!.pass, false);
  t.match(sockets!.summary, /1 LISTEN held by 1 leftover process/);
  t.match(sockets!.evidence[0], { kind: 'socket', state: 'LISTEN', local: '127.0.0.1:8080', pid: 42, fd: 3 });
  // without a subreaper the summary says what could not be seen
  t.match(evaluateExec({ ...obs, adoptsOrphans: false })[0]!.summary, /by the run marker only/);
});

t.test('no-zombies: one left unreaped, or one reaped after the bound while the command ran, fails', async (t) => {
  const z = proc(50, { state: 'Z', ppid: 42, cmdline: 'worker' });
  const left = evaluateExec({ ...clean(), zombiesLeft: [z] })[1]!;
  t.equal(left.pass, false);
  t.match(left.summary, /1 zombie never reaped \(parent pid 42\)/);
  t.match(left.evidence[0], { pid: 50, note: /parent 42 never waited/ });
  const late = evaluateExec({ ...clean(), zombieSpans: [{ process: z, firstMs: 100, lastMs: 4200 }] })[1]!;
  t.equal(late.pass, false);
  t.match(late.summary, /outlived the 3000 ms zombie bound/);
  const prompt = evaluateExec({ ...clean(), zombieSpans: [{ process: z, firstMs: 100, lastMs: 300 }] })[1]!;
  t.equal(prompt.pass, true, prompt.summary);
  t.match(prompt.summary, /1 zombie seen while it ran, each reaped within 3000 ms/);
});

t.test("the command's status and the leak verdict combine: a leak is 1, clean and failed 5, clean and passed 0", async (t) => {
  t.equal(execExitCode(EXIT.pass, false), 0);
  t.equal(execExitCode(EXIT.pass, true), EXIT.commandFailed);
  t.equal(EXIT.commandFailed, 5);
  t.equal(execExitCode(EXIT.fail, true), 1);
  t.equal(execExitCode(EXIT.fail, false), 1);
  t.equal(execExitCode(EXIT.interrupted, true), 130);
});

t.test('an exec report is a valid report.json', async (t) => {
  const report: Report = {
    schema: 1,
    tool: { name: 'handoff', version: '0' },
    runId: 'r',
    startedAt: new Date(0).toISOString(),
    verdict: 'pass',
    exitCode: 5,
    target: {
      kind: 'command',
      mode: 'server',
      command: ['false'],
      pid: 1,
      port: null,
      pool: null,
      exit: { code: 1, signal: null, afterMs: 3 },
    },
    suite: 'exec',
    strategy: null,
    fault: null,
    phases: [
      { name: 'start', start: 0, end: 1 },
      { name: 'run', start: 1, end: 5 },
      { name: 'verdict', start: 5, end: 6 },
    ],
    checks: evaluateExec(clean()),
    load: {},
    peaks: { children: 0, fds: 0, rssBytes: 0, closeWait: 0 },
    timeToQuietMs: null,
    timeline: [],
    exec: { code: 1, signal: null, durationMs: 3, failed: true, graceMs: 1000 },
  };
  t.same(reportProblems(report), []);
  t.not(reportProblems({ ...report, exec: { code: 'x' } }).length, 0, 'a malformed exec section is caught');
});
