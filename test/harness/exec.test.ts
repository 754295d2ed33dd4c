// `handoff exec` with real test runners on small projects made here: node's test runner, tap and pytest, each with
// one test file that leaks a detached child and one that does not. The leaky one FAILs naming the child, the clean
// one PASSes, and nothing is left running either way. Plus the command's own failure kept apart (exit 5), a
// listening leftover (sockets-drained), the config file's exec section and the exec() API.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { exec } from '../../src/api/exec.js';
import { packageRoot } from '../../src/paths.js';
import { check, failedIds, markedPids, runCli, tempReportDir } from './helpers.js';

type Teardown = { teardown(fn: () => void): void };

/** A temp project with these files; removed in teardown. */
function project(t: Teardown, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-exec-project-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Pids whose cmdline is exactly `sleep <arg>` (the leaked children of these tests). */
function sleepers(arg: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1') === `sleep\0${arg}\0`) found.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Whatever a failed harness would have left: ended by pid in teardown (the harness is what is under test). */
function endSleepers(t: Teardown, arg: string): void {
  t.teardown(() => {
    for (const pid of sleepers(arg)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

interface Runner {
  name: string;
  sleep: string;
  files: (sleep: string) => Record<string, string>;
  command: (file: string) => string[];
  leaky: string;
  clean: string;
  skip?: string | false;
}

const pytestMissing = spawnSync('python3', ['-m', 'pytest', '--version'], { stdio: 'ignore' }).status !== 0;

const RUNNERS: Runner[] = [
  {
    name: 'node --test',
    sleep: '3011',
    leaky: 'leaky.test.mjs',
    clean: 'clean.test.mjs',
    files: (s) => ({
      'leaky.test.mjs': `import test from 'node:test';\nimport { spawn } from 'node:child_process';\ntest('leaks a child', () => { spawn('sleep', ['${s}'], { detached: true, stdio: 'ignore' }).unref(); });\n`,
      'clean.test.mjs': `import test from 'node:test';\nimport { spawn } from 'node:child_process';\nimport { once } from 'node:events';\ntest('waits for its child', async () => { const c = spawn('sleep', ['0.1']); await once(c, 'exit'); });\n`,
    }),
    command: (file) => [process.execPath, '--test', file],
  },
  {
    name: 'tap',
    sleep: '3012',
    leaky: 'leaky.test.mjs',
    clean: 'clean.test.mjs',
    files: (s) => ({
      'leaky.test.mjs': `import t from 'tap';\nimport { spawn } from 'node:child_process';\nt.test('leaks a child', async (t) => { spawn('sleep', ['${s}'], { detached: true, stdio: 'ignore' }).unref(); t.pass('spawned'); });\n`,
      'clean.test.mjs': `import t from 'tap';\nimport { spawn } from 'node:child_process';\nimport { once } from 'node:events';\nt.test('waits for its child', async (t) => { const c = spawn('sleep', ['0.1']); const [code] = await once(c, 'exit'); t.equal(code, 0); });\n`,
    }),
    command: (file) => [join(packageRoot, 'node_modules/.bin/tap'), '--disable-coverage', file],
  },
  {
    name: 'pytest',
    sleep: '3013',
    leaky: 'test_leaky.py',
    clean: 'test_clean.py',
    skip: pytestMissing && 'pytest is not installed (apt-get install python3-pytest)',
    files: (s) => ({
      'test_leaky.py': `import subprocess\n\ndef test_leaks_a_child():\n    subprocess.Popen(['sleep', '${s}'], start_new_session=True)\n`,
      'test_clean.py': `import subprocess\n\ndef test_waits_for_its_child():\n    assert subprocess.run(['sleep', '0.1']).returncode == 0\n`,
    }),
    command: (file) => ['python3', '-m', 'pytest', '-q', '-p', 'no:cacheprovider', file],
  },
];

for (const r of RUNNERS) {
  t.test(`${r.name}: the leaky test file fails naming its child, the clean one passes, nothing is left`, { skip: r.skip }, async (t) => {
    endSleepers(t, r.sleep);
    const dir = project(t, r.files(r.sleep));
    // tap's test files import tap: the project resolves it through this package's node_modules
    symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'));
    const reports = tempReportDir(t);

    const leaky = await runCli(['exec', '--quiet', '--report-dir', reports, '--format', 'junit', '--', ...r.command(r.leaky)], {
      cwd: dir,
    });
    t.equal(leaky.code, 1, `leaky: exit 1 (stderr: ${leaky.stderr.slice(-400)})`);
    t.ok(leaky.report, 'leaky: a report');
    const lr = leaky.report!;
    t.equal(lr.verdict, 'fail');
    t.equal(lr.exec?.code, 0, 'the test runner itself passed: its status is reported apart');
    t.ok(failedIds(lr).includes('no-orphans'), `no-orphans fails (failed: ${failedIds(lr).join(', ')})`);
    const ev = check(lr, 'no-orphans').evidence.find((e) => e.kind === 'process');
    t.match(ev, { kind: 'process', cmdline: `sleep ${r.sleep}`, note: /outlived the command/ }, 'the evidence names the leaked child');
    t.match(leaky.stdout, new RegExp(`handoff exec: FAIL[^]*sleep ${r.sleep}`), 'the summary names it too');
    t.ok(readdirSync(join(reports, lr.runId)).includes('junit.xml'), 'the formats asked for are written');
    t.same(markedPids(lr.runId), [], 'leaky: nothing of the run is left');
    t.same(sleepers(r.sleep), [], 'leaky: the leaked child was killed');

    const clean = await runCli(['exec', '--quiet', '--report-dir', reports, '--', ...r.command(r.clean)], { cwd: dir });
    t.equal(
      clean.code,
      0,
      `clean: exit 0 (${clean.stdout
        .split('\n')
        .filter((l) => /handoff exec|FAIL/.test(l))
        .join(' | ')})`,
    );
    t.equal(clean.report?.verdict, 'pass');
    t.same(failedIds(clean.report!), []);
    t.ok(clean.report!.checks.length === 3, 'three checks judged');
    t.same(markedPids(clean.report!.runId), [], 'clean: nothing left');
    t.comment(
      `${r.name}: ${leaky.stdout.split('\n').find((l) => l.startsWith('handoff exec:'))} / ${clean.stdout.split('\n').find((l) => l.startsWith('handoff exec:'))}`,
    );
  });
}

t.test("the command's own failure is kept apart from a leak: 5 when clean, 1 when it also leaked", async (t) => {
  endSleepers(t, '3014');
  const reports = tempReportDir(t);
  const failedClean = await runCli(['exec', '--quiet', '--report-dir', reports, '--', 'sh', '-c', 'exit 3']);
  t.equal(failedClean.code, 5, 'clean, command failed: exit 5');
  t.equal(failedClean.report?.verdict, 'pass', 'no leak: the verdict passes');
  t.same(failedClean.report?.exec && { code: failedClean.report.exec.code, failed: failedClean.report.exec.failed }, {
    code: 3,
    failed: true,
  });
  t.match(failedClean.stdout, /command failed \(exit code 3\): reported apart/);
  const failedLeaky = await runCli(['exec', '--quiet', '--report-dir', reports, '--', 'sh', '-c', 'setsid sleep 3014 & exit 3']);
  t.equal(failedLeaky.code, 1, 'a leak is 1 whatever the command did');
  t.equal(failedLeaky.report?.exec?.code, 3);
  t.same(sleepers('3014'), []);
  const usage = await runCli(['exec', '--report-dir', reports]);
  t.equal(usage.code, 2, 'no command: usage');
  const missing = await runCli(['exec', '--quiet', '--report-dir', reports, '--', 'no-such-command-handoff']);
  t.equal(missing.code, 3, 'a command that cannot start: exit 3');
});

t.test('a leftover that listens fails sockets-drained; one that dropped the marker is found by adoption', async (t) => {
  const reports = tempReportDir(t);
  // env -i: no HANDOFF_RUN_ID in its environment; its parent exits, so it is reparented to the harness
  const script =
    "import subprocess; subprocess.Popen(['env', '-i', 'python3', '-c', 'import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\",0)); s.listen(); time.sleep(300)'], start_new_session=True)";
  const r = await runCli(['exec', '--quiet', '--report-dir', reports, '--', 'python3', '-c', script]);
  t.equal(r.code, 1, r.stderr.slice(-300));
  const report = r.report!;
  t.ok(failedIds(report).includes('sockets-drained'), `sockets-drained fails (failed: ${failedIds(report).join(', ')})`);
  t.match(check(report, 'sockets-drained').evidence[0], { kind: 'socket', state: 'LISTEN', local: /^127\.0\.0\.1:\d+$/ });
  const p = check(report, 'no-orphans').evidence.find((e) => e.kind === 'process');
  t.match(p, { cmdline: /^python3 -c '?import socket/, note: /reparented to the harness/ }, 'found without the marker');
  // nothing left: the process had no marker, so look for it by its cmdline
  const left = spawnSync('pgrep', ['-f', 'import socket,time; s=socket.socket']).stdout.toString().trim();
  t.equal(left, '', 'the unmarked leftover was killed too');
});

t.test('exec() API and the config file: exec.command and grace, ignores and the allow-list apply', async (t) => {
  endSleepers(t, '3015');
  const dir = project(t, {
    'handoff.config.json': JSON.stringify({
      exec: { command: ['sh', '-c', 'setsid sleep 3015 &'], grace: '300ms' },
      report: { dir: 'out', formats: ['md'] },
    }),
  });
  // from the config alone, through the CLI
  const cli = await runCli(['exec', '--quiet'], { cwd: dir });
  t.equal(cli.code, 1, "the config's command leaks");
  t.equal(cli.report?.exec?.graceMs, 300, 'its grace applies');
  t.ok(readdirSync(join(dir, 'out', cli.report!.runId)).includes('report.md'), 'its report settings apply');
  // the API: a clean command, then the same leak waived by an allow-list entry
  const clean = await exec({ command: ['true'], cwd: dir, config: false, reportDir: join(dir, 'api') });
  t.equal(clean.passed, true);
  t.equal(clean.exitCode, 0);
  const waived = await exec({
    command: ['sh', '-c', 'setsid sleep 3015 &'],
    cwd: dir,
    config: false,
    reportDir: join(dir, 'api'),
    grace: 200,
    allowList: [{ check: 'no-orphans', match: 'sleep 3015', reason: 'known daemon', expires: '2999-01-01' }],
  });
  t.comment(`waived: ${waived.report.checks.map((c) => `${c.id} ${c.pass ? 'pass' : c.allowedBy ? 'allowed' : 'FAIL'}`).join(', ')}`);
  t.equal(check(waived.report, 'no-orphans').allowedBy?.reason, 'known daemon', 'the allow-list waives the known leftover');
  t.same(sleepers('3015'), [], 'and it is still killed: the allow-list never exempts cleanup');
  const failed = await exec({ command: ['false'], cwd: dir, config: false, reportDir: join(dir, 'api') });
  t.equal(failed.exitCode, 5);
  t.equal(failed.passed, false);
  t.equal(failed.command.failed, true);
});

t.test('SIGINT while the command runs: recorded as interrupted (130), never a leak, and what it started is killed', async (t) => {
  endSleepers(t, '3018');
  const { spawn } = await import('node:child_process');
  const { cliPath } = await import('../../src/paths.js');
  const { untappedNode } = await import('../helpers/untapped.js');
  const reports = tempReportDir(t);
  const child = spawn(
    ...untappedNode([cliPath(), 'exec', '--quiet', '--report-dir', reports, '--', 'sh', '-c', 'setsid sleep 3018 & sleep 30']),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => void child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  for (let i = 0; i < 200 && sleepers('3018').length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(sleepers('3018').length, 1, 'the command is running, its daemon too');
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  t.equal(code, 130, `exit 130 (${stdout.slice(-300)})`);
  const runs = readdirSync(reports).filter((d) => d !== 'latest');
  t.equal(runs.length, 1);
  const report = JSON.parse(readFileSync(join(reports, runs[0]!, 'report.json'), 'utf8')) as {
    verdict: string;
    checks: unknown[];
    interruption?: { phase: string };
  };
  t.equal(report.verdict, 'interrupted');
  t.same(report.checks, [], 'no check claims anything');
  t.equal(report.interruption?.phase, 'run');
  t.same(sleepers('3018'), [], 'its daemon was killed');
  t.same(markedPids(runs[0]), []);
});

t.test('a daemon that never waits for its child: no-zombies names the zombie and its parent; --timeout stops a hung command', async (t) => {
  endSleepers(t, '3019');
  endSleepers(t, '3020');
  const reports = tempReportDir(t);
  // --grace 3s: on a loaded machine the 0.1 s child may not even have run within the default second
  const r = await runCli([
    'exec',
    '--quiet',
    '--grace',
    '3s',
    '--report-dir',
    reports,
    '--',
    'sh',
    '-c',
    "setsid sh -c 'sleep 0.1 & exec sleep 3019' &",
  ]);
  t.equal(r.code, 1);
  const z = check(r.report!, 'no-zombies');
  t.equal(z.pass, false, z.summary);
  t.match(z.evidence[0], { kind: 'process', state: 'Z', cmdline: 'sleep 0.1', note: /never waited/ });
  const parent = check(r.report!, 'no-orphans').evidence.find((e) => e.kind === 'process');
  t.match(parent, { cmdline: 'sleep 3019' });
  t.equal((z.evidence[0] as { ppid: number }).ppid, (parent as { pid: number }).pid, "the zombie's parent is the leftover daemon");
  t.same(sleepers('3019'), []);

  const hung = await runCli(['exec', '--quiet', '--report-dir', reports, '--timeout', '500ms', '--', 'sh', '-c', 'sleep 3020; true']);
  t.equal(hung.code, 1, 'its sleep child outlived the SIGTERMed shell: a leak');
  t.match(hung.report?.exec, { signal: 'SIGTERM', failed: true });
  t.same(sleepers('3020'), []);
  const quick = await runCli(['exec', '--quiet', '--report-dir', reports, '--timeout', '500ms', '--', 'sleep', '30']);
  t.equal(quick.code, 5, 'a clean command stopped by --timeout is its own failure');
  t.match(quick.report?.exec, { signal: 'SIGTERM', failed: true });
});
