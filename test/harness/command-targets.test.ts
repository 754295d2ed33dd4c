// Any command as a target: a tiny Python server in server mode (clean, and one that leaves a child behind)
// through the programmatic run API, plus exit codes 2 and 3 and the harness's own SIGINT, for real.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { runStress, type RunOptions } from '../../src/harness/run.js';
import { loadSuite } from '../../src/harness/suite.js';
import { TargetStartError } from '../../src/util/errors.js';
import { packageRoot, cliPath } from '../../src/paths.js';
import { readFileSync } from 'node:fs';
import { pollUntil } from '../helpers/proxy-process.js';
import { check, failedIds, markedPids, runCli, tempReportDir } from './helpers.js';

const fixture = (name: string): string => join(packageRoot, 'test/harness/fixtures', name);

function pythonRun(reportDir: string, extra: string[] = [], over: Partial<RunOptions> = {}): RunOptions {
  return {
    target: { kind: 'command', command: ['python3', fixture('echo-server.py'), '{port}', ...extra] },
    mode: 'server',
    echo: true,
    suite: loadSuite('ci'),
    drainMs: 2_000,
    reportDir,
    formats: ['json'],
    strictExit: false,
    ignore: [],
    sampleHz: 10,
    strategy: null,
    fault: null,
    ...over,
  };
}

t.test('a clean python server passes in server mode, tokens checked through --echo', async (t) => {
  const dir = tempReportDir(t);
  for (let i = 1; i <= 2; i++) {
    const { report } = await runStress(pythonRun(dir));
    t.equal(
      report.verdict,
      'pass',
      `run ${i}: ${report.checks
        .filter((c) => !c.pass)
        .map((c) => `${c.id}: ${c.summary}`)
        .join(' | ')}`,
    );
    t.match(check(report, 'responses-correct').summary, /carried their own token/);
    t.match(check(report, 'clean-shutdown').summary, /by SIGTERM|with code 0/);
    t.equal(report.target.kind, 'command');
    t.comment(`python clean run ${i}: time to quiet ${report.timeToQuietMs} ms`);
    t.same(markedPids(report.runId), []);
  }
});

t.test("the seed's model in Python (ForkingMixIn): clean passes; its two classic bugs are caught", async (t) => {
  const dir = tempReportDir(t);
  const forking = (...flags: string[]) =>
    runStress(
      pythonRun(dir, [], {
        durationMs: 1_000,
        target: { kind: 'command', command: ['python3', fixture('forking-server.py'), '{port}', ...flags] },
      }),
    );
  const clean = (await forking()).report;
  t.equal(
    clean.verdict,
    'pass',
    clean.checks
      .filter((c) => !c.pass)
      .map((c) => `${c.id}: ${c.summary}`)
      .join(' | '),
  );
  t.match(check(clean, 'responses-correct').summary, /carried their own token/);
  // the parent keeps its copy of every accepted socket: its descriptors pile up
  const leaky = (await forking('--no-parent-close')).report;
  t.ok(failedIds(leaky).includes('fds-drained'), `fds-drained fails (failed: ${failedIds(leaky).join(', ')})`);
  t.match(check(leaky, 'fds-drained').summary, /kept fds: pid \d+ holds \d+ vs \d+ at baseline/);
  t.ok(
    check(leaky, 'fds-drained').evidence.some((e) => e.kind === 'fd' && /^socket:\[/.test(String(e.target))),
    'the evidence names socket descriptors',
  );
  // children never waited for
  const zombies = (await forking('--no-reap')).report;
  t.ok(failedIds(zombies).includes('no-zombies'), `no-zombies fails (failed: ${failedIds(zombies).join(', ')})`);
  t.match(check(zombies, 'no-zombies').summary, /zombies? never reaped \(parent pid \d+\)/);
  for (const r of [clean, leaky, zombies]) t.same(markedPids(r.runId), [], `${r.runId}: nothing left`);
});

t.test('--strict-exit: a server dying by SIGTERM is no longer clean', async (t) => {
  const dir = tempReportDir(t);
  const { report } = await runStress(pythonRun(dir, [], { strictExit: true, durationMs: 500 }));
  t.same(failedIds(report), ['clean-shutdown']);
  t.match(check(report, 'clean-shutdown').summary, /SIGTERM.*--strict-exit/);
});

t.test('a python server that leaves a child behind fails children-drained, no-orphans, clean-shutdown', async (t) => {
  const dir = tempReportDir(t);
  const { report } = await runStress(pythonRun(dir, ['--leave-child']));
  const failed = failedIds(report);
  t.comment(`python leaky: failed ${failed.join(', ')}; time to quiet ${report.timeToQuietMs}`);
  for (const id of ['children-drained', 'no-orphans', 'clean-shutdown']) t.ok(failed.includes(id), `${id} fails`);
  const child = check(report, 'children-drained').evidence.find((e) => e.kind === 'process');
  t.match(child, { kind: 'process', cmdline: /^sleep 60/, ppid: report.target.pid });
  t.match(check(report, 'no-orphans').evidence[0], { kind: 'process', cmdline: /^sleep 60/, note: /after shutdown/ });
  t.same(markedPids(report.runId), [], 'the harness killed the orphan');
});

t.test('a declared pool (--pool) is not a leak', async (t) => {
  const dir = tempReportDir(t);
  const opts = pythonRun(dir, ['--leave-child'], { durationMs: 500 });
  opts.target = { kind: 'command', command: opts.target.kind === 'command' ? opts.target.command : [], pool: { resident: 1, cap: 2 } };
  const { report } = await runStress(opts);
  t.ok(check(report, 'children-drained').pass, check(report, 'children-drained').summary);
  t.ok(check(report, 'max-children').pass);
  t.notOk(check(report, 'no-orphans').pass, 'still an orphan at shutdown');
});

t.test('a target that never accepts: TargetStartError with its stderr, exit 3 from the CLI', async (t) => {
  const dir = tempReportDir(t);
  const err = await runStress({ ...pythonRun(dir), target: { kind: 'command', command: ['sh', fixture('sh-server.sh')] } }).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof TargetStartError, 'TargetStartError');
  if (err instanceof TargetStartError) {
    t.match(err.context.stderr, /refusing to start/);
    t.equal(err.context.exitCode, 7);
  }
  const r = await runCli(['stress', '--report-dir', dir, '--mode', 'server', '--', 'sh', fixture('sh-server.sh')]);
  t.equal(r.code, 3);
  t.match(r.stderr, /exited before it accepted connections/);
  t.match(r.stderr, /\| sh-server: refusing to start/);
  const r2 = await runCli(['stress', '--report-dir', dir, '--', 'no-such-binary-handoff', '{port}']);
  t.equal(r2.code, 3, r2.stderr);
});

t.test('--ready-timeout: how long a slow starter may take to accept', async (t) => {
  const dir = tempReportDir(t);
  // listens only after a second, like a server with a long start (a JVM, a migration at boot)
  const slow = ['--', 'sh', '-c', `sleep 1; exec python3 '${fixture('echo-server.py')}' "$PORT"`];
  const base = ['stress', '--mode', 'server', '--echo', '--duration', '300ms', '--format', 'json', '--report-dir', dir, '--quiet'];
  const impatient = await runCli([...base, '--ready-timeout', '300ms', ...slow]);
  t.equal(impatient.code, 3, 'not accepting within 300 ms: exit 3');
  t.match(impatient.stderr, /did not accept connections on 127\.0\.0\.1:\d+ within 300 ms \(--ready-timeout to wait longer\)/);
  const patient = await runCli([...base, '--ready-timeout', '20s', ...slow]);
  t.equal(
    patient.code,
    0,
    `waited for it: ${patient.stdout
      .split('\n')
      .filter((l) => /FAIL/.test(l))
      .join(' | ')}`,
  );
  const tooShort = await runCli([...base, '--ready-timeout', '10ms', ...slow]);
  t.same([tooShort.code, /--ready-timeout "10ms" is too short/.test(tooShort.stderr)], [2, true], tooShort.stderr);
  // (a usage error starts nothing; the other two runs are named by their record and their report)
  const runIds = [/recorded in \S+\/([^/\s]+) \(/.exec(impatient.stderr)?.[1], patient.report?.runId];
  t.ok(runIds.every(Boolean), `both runs named: ${runIds.join(', ')}`);
  t.ok(await pollUntil(() => runIds.every((id) => markedPids(id).length === 0), 3_000), 'nothing left by either run');
});

t.test('a target that daemonizes (forks, setsid, parent exits) is exit 3, and the daemon does not outlive the run', async (t) => {
  const dir = tempReportDir(t);
  const before = new Set(markedPids());
  const err = await runStress({
    ...pythonRun(dir),
    target: { kind: 'command', command: ['sh', '-c', 'setsid sleep 30 </dev/null >/dev/null 2>&1 & sleep 0.3; exit 0'] },
  }).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof TargetStartError, 'TargetStartError');
  t.match((err as Error).message, /still ran outside its process group .*killed.*daemonize/);
  const isDaemon = (pid: number): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1') === 'sleep\u000030\u0000';
    } catch {
      return false;
    }
  };
  const gone = await pollUntil(() => !markedPids().some((p) => !before.has(p) && isDaemon(p)), 3_000);
  t.ok(gone, 'the daemon (setsid sleep 30, carrying the run marker) was killed');
});

t.test('--expect-status: a static file server answers 404 to every harness path; said once, it passes', async (t) => {
  const dir = tempReportDir(t);
  const server = ['--', 'python3', '-m', 'http.server', '{port}', '--bind', '127.0.0.1'];
  const base = ['stress', '--mode', 'server', '--duration', '500ms', '--format', 'json', '--report-dir', dir, '--quiet'];
  const plain = await runCli([...base, ...server]);
  t.equal(plain.code, 1, 'every answer a 404: the error budget fails');
  t.match(plain.stdout, /FAIL\s+error-budget .*the unexpected answers were 404: .*accept it with --expect-status 404/);
  const told = await runCli([...base, '--expect-status', '2xx,404', ...server]);
  t.equal(
    told.code,
    0,
    `passes with --expect-status 2xx,404: ${told.stdout
      .split('\n')
      .filter((l) => /FAIL/.test(l))
      .join(' | ')}`,
  );
  t.match(told.stdout, /pass\s+error-budget\s+0 errors, 0 timeouts, 0 unexpected statuses/);
});

t.test('usage errors exit 2 with one line', async (t) => {
  const dir = tempReportDir(t);
  const cases: [string[], RegExp][] = [
    [['--suite', 'no-such-suite'], /unknown suite "no-such-suite"/],
    [['--mode', 'sideways'], /invalid --mode/],
    [['--mode', 'server'], /needs a command target/],
    [['--strategy', 'inline', '--', 'python3', '{port}'], /--strategy configures the reference proxy/],
    [['--duration', 'soon'], /invalid --duration/],
    [['--ignore', '('], /invalid regular expression/],
    [['--suite', fixture('../no/such/file.json')], /suite file not found/],
    [['--expect-status', '404'], /--expect-status applies to a command target/],
    [
      ['--mode', 'server', '--expect-status', '2xx,99x', '--', 'python3', '{port}'],
      /--expect-status: "99x" is not a status \(100-599\) or a class \(2xx\)/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['stress', '--report-dir', dir, ...args]);
    t.equal(r.code, 2, `${args.join(' ')} → exit 2`);
    t.match(r.stderr, message);
  }
});

t.test('SIGINT to the harness mid-run kills the whole target group', async (t) => {
  const dir = tempReportDir(t);
  const child = spawn(
    process.execPath,
    [cliPath(), 'stress', '--strategy', 'per-connection', '--spares', '1', '--duration', '30s', '--report-dir', dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  const started = new Promise<number>((resolve) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /target pid (\d+)/.exec(stderr);
      if (m && /load …/.test(stderr)) resolve(Number(m[1]));
    });
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const pid = await started;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  const code = await exited;
  clearTimeout(killer);
  t.equal(code, 130, 'exit 130 after SIGINT');
  // the group's last members may take a moment to be reaped by init once the harness is gone
  const groupAlive = (): boolean => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 10_000;
  while (groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.notOk(groupAlive(), `target group ${pid} is gone`);
  const runId = /run (\S+) \(/.exec(stderr)?.[1];
  t.ok(runId, 'the run announced its id');
  t.same(markedPids(runId ?? 'unknown-run'), [], 'nothing carrying the run marker is left');
});
