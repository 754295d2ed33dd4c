// Real third-party servers as command targets (Debian packages; each test skips when its server is missing).
// tinyproxy, a forward proxy, must pass the default suite. It does
// what RFC 9110 allows and the reference proxy does not: it answers a refused origin with 500 (not 502), closes
// a CONNECT tunnel both ways on the client's half-close, and ends each connection after its answer without
// saying so. Each of those once failed it (error budget), or made its flood latencies meaningless.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Report } from '../../src/model/report.js';
import { packageRoot } from '../../src/paths.js';
import { check, markedPids, runCli, tempReportDir } from './helpers.js';

const which = (name: string): string | null => {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
};
const tinyproxy = which('tinyproxy');
const nginx = which('nginx');

/** Runs `handoff stress` with these arguments; the run must write a report and pass. Null when it wrote none. */
async function passingRun(t: Test, args: string[]): Promise<Report | null> {
  const dir = tempReportDir(t);
  const r = await runCli(['stress', '--format', 'json', '--report-dir', dir, '--quiet', ...args]);
  t.ok(r.report, `a report was written (exit ${r.code}; ${r.stderr.trim().split('\n').at(-1) ?? ''})`);
  if (!r.report) return null;
  t.equal(
    r.code,
    0,
    r.report.checks
      .filter((c) => !c.pass)
      .map((c) => `${c.id}: ${c.summary}`)
      .join(' | '),
  );
  t.same(markedPids(r.report.runId), [], 'nothing of the run left');
  return r.report;
}

const nginxServer = (): string[] => ['--mode', 'server', '--echo', '--', 'sh', join(packageRoot, 'test/harness/fixtures/nginx-server.sh')];

t.test(
  'tinyproxy passes the default suite as a command target',
  { skip: tinyproxy ? false : 'tinyproxy is not installed (apt-get install tinyproxy)' },
  async (t) => {
    const confDir = mkdtempSync(join(tmpdir(), 'handoff-tinyproxy-'));
    t.teardown(() => rmSync(confDir, { recursive: true, force: true }));
    const conf = join(confDir, 'tinyproxy-$PORT.conf');
    // the harness gives the port as $PORT; tinyproxy takes it only from its config file
    const script = `printf 'Port %s\\nListen 127.0.0.1\\nTimeout 60\\nAllow 127.0.0.1\\nLogLevel Critical\\n' "$PORT" > "${conf}"; exec ${tinyproxy} -d -c "${conf}"`;
    const report = await passingRun(t, ['--', 'sh', '-c', script]);
    if (!report) return;
    const load = report.load;
    // tunnels: closed on the half-close, every one, and counted as such (not as errors)
    t.ok(load.tunnel.requests > 0 && load.tunnel.errors === 0, `tunnels: ${JSON.stringify(load.tunnel.extra)}`);
    t.equal(load.tunnel.extra?.closedOnHalfClose, load.tunnel.requests, 'tinyproxy closes every tunnel on the half-close');
    // a refused origin: tinyproxy's 500 is a refusal
    t.ok(
      (load['origin-faults'].extra?.['refused.ok'] ?? 0) > 0 && !load['origin-faults'].extra?.['refused.bad'],
      `origin faults: ${JSON.stringify(load['origin-faults'].extra)}`,
    );
    t.match(check(report, 'clean-shutdown').summary, /with code 0|by SIGTERM/);
  },
);

t.test(
  'nginx, a real prefork server (master and two workers), passes the churn suite',
  { skip: nginx ? false : 'nginx is not installed (apt-get install nginx-light)' },
  async (t) => {
    const report = await passingRun(t, ['--suite', 'churn', '--duration', '1s', ...nginxServer()]);
    if (!report) return;
    // its workers live from start to end: the resting pool is the baseline, not a leak
    t.match(check(report, 'children-drained').summary, /^3 live descendants after drain, allowed 3 \(baseline 3/);
    t.match(check(report, 'responses-correct').summary, /carried their own token/);
    t.match(check(report, 'clean-shutdown').summary, /with code 0/);
  },
);

t.test(
  'nginx under chaos: its workers are the leaves killed (not the master, not the shell wrapping it), and replaced',
  { skip: nginx ? false : 'nginx is not installed (apt-get install nginx-light)' },
  async (t) => {
    const report = await passingRun(t, ['--suite', 'chaos', '--duration', '2s', ...nginxServer()]);
    if (!report) return;
    const chaos = report.load.chaos.extra ?? {};
    t.ok((chaos.kills ?? 0) >= 2 && chaos.kills === chaos.reaped, `workers killed and reaped by their master: ${JSON.stringify(chaos)}`);
    // with depth 1 the shell's child, nginx's master, was killed: its workers were orphaned and outlived the run
    t.match(check(report, 'children-drained').summary, /^3 live descendants after drain, allowed 3/, 'the master replaced them');
    t.match(check(report, 'clean-shutdown').summary, /with code 0/);
  },
);
