// A full report disk (issue 18) used to crash the harness with exit 1 (the "a check failed" code), no report and a
// daemon left running, or exit 70 with a stack trace and a torn report.json. Now: the target's logs stop at the
// first write error, report files are written whole or not at all (temp + rename), the failure is one line with
// exit 74 (EX_IOERR), and the cleanup has run. The disk is a 256 KiB tmpfs in a private mount namespace
// (`unshare -m`, root); skipped with the reason where that is not possible.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cliPath, packageRoot } from '../../src/paths.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { escaperPids, tempReportDir } from './helpers.js';

const probeDir = tempReportDir(t);
const probe = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs ${probeDir} && echo ok`], {
  encoding: 'utf8',
  timeout: 10_000,
});
const available = probe.status === 0 && probe.stdout.includes('ok');
const TAG = `${process.pid % 1000}88`;

const escapers = (): number[] => escaperPids(TAG);

t.test(
  'a full report disk: one line, exit 74, no torn report, nothing left running',
  {
    skip: available
      ? false
      : `cannot mount a tmpfs in a private mount namespace here (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0]})`,
  },
  async (t) => {
    t.teardown(() => {
      for (const pid of escapers()) process.kill(pid, 'SIGKILL');
    });
    const work = tempReportDir(t);
    const disk = join(work, 'disk');
    mkdirSync(disk);
    const suite = join(work, 'suite.json');
    spawnSync('sh', [
      '-c',
      `printf '%s' '${JSON.stringify({ duration: '500ms', connections: 2, drain: '500ms', shutdown: '1s', warmup: '300ms', load: [{ generator: 'flood' }] })}' > ${suite}`,
    ]);
    const server = join(packageRoot, 'test/harness/fixtures/escaper-server.py');
    // the target writes 1 MiB to stderr (the disk is full before the report) and leaves its escapers
    const script = `mount -t tmpfs -o size=256k tmpfs ${disk} && env -u NODE_OPTIONS ${process.execPath} ${cliPath()} stress --quiet --mode server --echo --suite ${suite} --load-cap 0 --report-dir ${disk}/r --format json,md,html,junit -- python3 ${server} {port} ${TAG} stderr-bytes=1048576; echo "exit $?" >&2; ls ${disk}/r/*/; cat ${disk}/r/*/report.json 2>/dev/null | head -c 20`;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    t.match(r.stderr, /exit 74\n/, `exit 74 (stderr: ${r.stderr.slice(-400)})`);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('handoff:'));
    t.equal(lines.length, 1, 'one line from handoff');
    t.match(
      lines[0],
      /^handoff: could not write the report in .*ENOSPC.*the run's cleanup ran/,
      'naming the failure and that the cleanup ran',
    );
    t.notMatch(r.stderr, /^\s+at /m, 'no stack trace');
    t.notMatch(r.stdout, /report\.json/, 'no report.json at all: whole or absent (the temp file removed)');
    t.ok(await pollUntil(() => escapers().length === 0, 3_000), `nothing left running (left: ${escapers().join(', ') || 'none'})`);
  },
);
