// A target whose descendant daemonizes with an empty environment (double fork, `env -i`): it carries no run
// marker, so before the harness became a child subreaper it escaped no-orphans (a false PASS) and outlived the
// run. Now it is reparented to the harness, reported and killed. Needs the native addon (prctl).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../src/paths.js';
import { whenForkAvailable } from '../fork/addon-available.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { check, failedIds, runCli, tempReportDir } from './helpers.js';

const DAEMON_SECONDS = '4242.5'; // names the daemon in /proc

const daemons = (): number[] =>
  readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1') === `sleep\u0000${DAEMON_SECONDS}\u0000`;
      } catch {
        return false;
      }
    });

await whenForkAvailable(async () => {
  t.test('a daemon that dropped the marker is adopted by the harness: no-orphans fails, and it is killed', async (t) => {
    t.teardown(() => {
      for (const pid of daemons()) process.kill(pid, 'SIGKILL');
    });
    const dir = tempReportDir(t);
    const server = join(packageRoot, 'test/harness/fixtures/echo-server.py');
    // the intermediate `sh` exits at once: its `sleep` is orphaned before the first sample, with no marker
    const script = `env -i sh -c 'sleep ${DAEMON_SECONDS} </dev/null >/dev/null 2>&1 &'; exec python3 '${server}' "$PORT"`;
    const r = await runCli([
      'stress',
      '--report-dir',
      dir,
      '--suite',
      'flood',
      '--duration',
      '500ms',
      '--mode',
      'server',
      '--echo',
      '--quiet',
      '--',
      'sh',
      '-c',
      script,
    ]);
    t.equal(r.code, 1, 'exit 1');
    t.ok(r.report, 'a report');
    if (!r.report) return;
    t.ok(failedIds(r.report).includes('no-orphans'), `no-orphans fails (failed: ${failedIds(r.report).join(', ')})`);
    const evidence = check(r.report, 'no-orphans').evidence;
    t.ok(
      evidence.some((e) => e.kind === 'process' && e.cmdline === `sleep ${DAEMON_SECONDS}`),
      'the evidence names the daemon',
    );
    t.ok(await pollUntil(() => daemons().length === 0, 5_000), 'and the harness killed it');
  });

  t.test('a target that daemonizes with an empty environment: exit 3, and the daemon is killed all the same', async (t) => {
    t.teardown(() => {
      for (const pid of daemons()) process.kill(pid, 'SIGKILL');
    });
    const dir = tempReportDir(t);
    const script = `env -i sh -c 'setsid sleep ${DAEMON_SECONDS} </dev/null >/dev/null 2>&1 &'; sleep 0.3; exit 0`;
    const r = await runCli(['stress', '--report-dir', dir, '--mode', 'server', '--quiet', '--', 'sh', '-c', script]);
    t.equal(r.code, 3, 'exit 3: it never accepted');
    t.match(r.stderr, /still ran outside its process group .*killed.*daemonize/, 'the hint names what was killed');
    t.ok(await pollUntil(() => daemons().length === 0, 5_000), 'no daemon left');
  });
});
