// Pid reuse (issue 18): once the target's root is reaped its pid — and so its process-group id — is free, and a
// foreign process may get it. The harness used to send kill(-pgid) at the end of the run all the same, and an
// unrelated victim got SIGTERM. Now the group is signalled only while its leader is the harness's unreaped child.
// Forcing the reuse needs a private pid namespace (ns_last_pid): `unshare -pf --mount-proc`, skipped where the
// kernel or the privileges do not allow it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cliPath, packageRoot } from '../../src/paths.js';
import { tempReportDir } from './helpers.js';

const probe = spawnSync('unshare', ['-pf', '--mount-proc', 'sh', '-c', 'echo 1 > /proc/sys/kernel/ns_last_pid && echo ok'], {
  encoding: 'utf8',
  timeout: 10_000,
});
const available = probe.status === 0 && probe.stdout.includes('ok');

t.test(
  'a reused group id is never signalled',
  {
    skip: available
      ? false
      : `no private pid namespace with a writable ns_last_pid here (unshare: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0]})`,
  },
  async (t) => {
    const dir = tempReportDir(t);
    const pidfile = join(dir, 'target.pid');
    const log = join(dir, 'victim.log');
    const suite = join(dir, 'suite.json');
    writeFileSync(
      suite,
      JSON.stringify({ duration: '3s', connections: 2, drain: '500ms', shutdown: '1s', warmup: '300ms', load: [{ generator: 'flood' }] }),
    );
    // the victim: waits for the target to die, then takes its pid as a session (and group) leader of its own
    const victim = `
    while [ ! -s ${pidfile} ]; do sleep 0.05; done; T=$(cat ${pidfile})
    while [ -e /proc/$T ]; do sleep 0.02; done
    echo $((T - 1)) > /proc/sys/kernel/ns_last_pid
    setsid sh -c 'trap "echo got SIGTERM >> ${log}; exit 143" TERM; echo "victim $$ target $0" >> ${log}; while :; do sleep 0.1; done' $T &
    sleep 60`;
    const server = join(packageRoot, 'test/harness/fixtures/short-lived-server.py');
    const script = `sh -c '${victim.replace(/'/g, `'\\''`)}' & V=$!
    env -u NODE_OPTIONS ${process.execPath} ${cliPath()} stress --quiet --mode server --echo --suite ${suite} --load-cap 0 --report-dir ${dir} -- python3 ${server} {port} ${pidfile} 1.2 > ${dir}/out 2>&1
    echo "harness exit $?" >> ${dir}/out; sleep 0.5; kill $V`;
    // the namespace's init is this sh: when it exits, every process of the namespace goes with it
    const r = spawnSync('unshare', ['-pf', '--mount-proc', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    t.equal(r.status, 0, `the namespace ran (${r.stderr})`);
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const m = /victim (\d+) target (\d+)/.exec(text);
    if (!m || m[1] !== m[2]) {
      t.comment(`the victim did not get the target's pid this time (${text.trim() || 'no victim'}): nothing to judge`);
      return;
    }
    t.match(readFileSync(join(dir, 'out'), 'utf8'), /harness exit \d+/, 'the run ended');
    t.notMatch(text, /got SIGTERM/, `the victim with the target's old pid (${m[1]}) and group id got no signal`);
  },
);
