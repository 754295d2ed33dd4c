// --attach <pid> --port N: a server this test starts itself (outside the harness, in its own process group, ended
// by that group in teardown) judged while it runs. Clean passes and is left running untouched; one that leaves a
// child behind fails naming it — and without --shutdown nothing of it is killed; --shutdown sends SIGTERM, judges
// it, and the cleanup then ends what its tree left. Usage errors are exit 2.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../src/paths.js';
import { readStat } from '../../src/harness/probes/proc-reader.js';
import { freePort, canConnect } from '../../src/harness/target.js';
import { pidfdUnavailableReason } from './pidfd-available.js';
import { check, failedIds, runCli, tempReportDir } from './helpers.js';

const fixture = (name: string): string => join(packageRoot, 'test/harness/fixtures', name);

/** The echo server as someone else would start it; its whole group is ended in teardown. */
async function startServer(
  t: { teardown(fn: () => void): void },
  ...flags: string[]
): Promise<{ pid: number; port: number; starttime: number }> {
  const port = await freePort();
  const child = spawn('python3', [fixture('echo-server.py'), String(port), ...flags], { detached: true, stdio: 'ignore' });
  const pid = child.pid!;
  t.teardown(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  for (let i = 0; i < 100 && !(await canConnect('127.0.0.1', port)); i++) await new Promise((r) => setTimeout(r, 50));
  return { pid, port, starttime: readStat(pid)!.starttime };
}

const alive = (pid: number, starttime: number): boolean => {
  const s = readStat(pid);
  return s !== null && s.starttime === starttime && s.state !== 'Z';
};

/** The live children of pid (by ppid). */
const childrenOf = (pid: number): number[] => {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s && s.ppid === pid && s.state !== 'Z') out.push(s.pid);
  }
  return out;
};

const stress = (reports: string, server: { pid: number; port: number }, ...extra: string[]) =>
  runCli([
    'stress',
    '--quiet',
    '--report-dir',
    reports,
    '--mode',
    'server',
    '--duration',
    '1s',
    '--attach',
    String(server.pid),
    '--port',
    String(server.port),
    ...extra,
  ]);

t.test('a clean running server passes and is left running, untouched; with --shutdown it is judged on SIGTERM', async (t) => {
  const reports = tempReportDir(t);
  const server = await startServer(t);
  const r = await stress(reports, server);
  t.equal(
    r.code,
    0,
    r.stdout
      .split('\n')
      .filter((l) => /stress:|FAIL/.test(l))
      .join(' | '),
  );
  t.same(r.report!.attach, { pid: server.pid, shutdown: false, exitSeenBy: pidfdUnavailableReason() ? 'proc-poll' : 'pidfd' });
  t.equal(r.report!.target.pid, server.pid);
  t.match(check(r.report!, 'clean-shutdown').summary, /not judged: --attach without --shutdown/);
  t.ok(alive(server.pid, server.starttime), 'the server still runs');
  t.ok(await canConnect('127.0.0.1', server.port), 'and still accepts');
  t.comment(`attach clean: ${r.stdout.split('\n')[0]}`);

  const down = await stress(reports, server, '--shutdown');
  t.equal(
    down.code,
    0,
    down.stdout
      .split('\n')
      .filter((l) => /stress:|FAIL/.test(l))
      .join(' | '),
  );
  t.match(check(down.report!, 'clean-shutdown').summary, /exited .* after SIGTERM, nothing left/);
  t.notOk(alive(server.pid, server.starttime), '--shutdown: it was SIGTERMed and exited');
});

t.test('a running server that leaves a child behind fails naming it; nothing of it is killed without --shutdown', async (t) => {
  const reports = tempReportDir(t);
  const server = await startServer(t, '--leave-child');
  const r = await stress(reports, server);
  t.equal(r.code, 1, r.stdout.split('\n')[0]);
  const failed = failedIds(r.report!);
  t.ok(failed.includes('children-drained'), `children-drained fails (failed: ${failed.join(', ')})`);
  t.match(
    check(r.report!, 'children-drained').evidence.find((e) => e.kind === 'process'),
    { cmdline: /^sleep 60/, ppid: server.pid },
  );
  t.ok(alive(server.pid, server.starttime), 'the server was not killed');
  const kids = childrenOf(server.pid);
  t.equal(kids.length, 1, "nor its child: not the harness's to kill unless asked");
  t.comment(`attach leaky: ${r.stdout.split('\n')[0]}`);

  const down = await stress(reports, server, '--shutdown');
  t.equal(down.code, 1);
  const downFailed = failedIds(down.report!);
  t.ok(
    downFailed.includes('clean-shutdown') || downFailed.includes('no-orphans'),
    `the child outlives the server (failed: ${downFailed.join(', ')})`,
  );
  t.notOk(alive(server.pid, server.starttime), 'the server exited on SIGTERM');
  for (const k of kids)
    t.equal(
      readStat(k) === null || readStat(k)!.state === 'Z',
      true,
      `its leftover child ${k} was ended by the cleanup (shutdown was asked)`,
    );
});

t.test('--attach usage errors are exit 2', async (t) => {
  const reports = tempReportDir(t);
  const noPort = await runCli(['stress', '--report-dir', reports, '--attach', String(process.pid)]);
  t.equal(noPort.code, 2);
  t.match(noPort.stderr, /--attach needs --port/);
  const port = await freePort();
  const gone = await runCli(['stress', '--report-dir', reports, '--attach', '999999999', '--port', String(port)]);
  t.equal(gone.code, 2);
  t.match(gone.stderr, /no such running process/);
  const server = await startServer(t);
  // a process that does not hold the server's listener (a sibling of it, ended in teardown)
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => void other.kill('SIGKILL'));
  const wrong = await runCli([
    'stress',
    '--report-dir',
    reports,
    '--mode',
    'server',
    '--attach',
    String(other.pid),
    '--port',
    String(server.port),
  ]);
  t.equal(wrong.code, 2, wrong.stderr);
  t.match(wrong.stderr, /is not held by pid/);
  const both = await runCli([
    'stress',
    '--report-dir',
    reports,
    '--attach',
    String(server.pid),
    '--port',
    String(server.port),
    '--',
    'sleep',
    '1',
  ]);
  t.equal(both.code, 2);
  const shutdownAlone = await runCli(['stress', '--report-dir', reports, '--shutdown']);
  t.equal(shutdownAlone.code, 2);
});

t.test('the API and the config file take attach, port and shutdown', async (t) => {
  const { stress } = await import('../../src/api/stress.js');
  const { parseConfig } = await import('../../src/config/parse.js');
  const reports = tempReportDir(t);
  const server = await startServer(t);
  const r = await stress({ attach: server.pid, port: server.port, mode: 'server', duration: '1s', config: false, reportDir: reports });
  t.equal(r.verdict, 'pass', r.failures.map((c) => `${c.id}: ${c.summary}`).join(' | '));
  t.match(r.report.attach, { pid: server.pid, shutdown: false });
  t.ok(alive(server.pid, server.starttime), 'left running');
  const c = parseConfig({ target: { attach: 1234, port: 8080, shutdown: true, mode: 'server' } }, 'cfg', '/');
  t.match(c.targetFlags, { attach: '1234', port: '8080', shutdown: true });
  t.throws(() => parseConfig({ target: { attach: 1234 } }, 'cfg', '/'), /needs "port"/);
  t.throws(() => parseConfig({ target: { port: 8080 } }, 'cfg', '/'), /apply to "attach"/);
  t.throws(() => parseConfig({ target: { attach: 1, port: 2, command: 'x' } }, 'cfg', '/'), /no "command"/);
});
