// Smoke test of `npm run accuracy` for real, in the smallest matrix: the C fixture clean and with its
// unreaped-child bug on every connection, one run each, a busy loop beside. The fold must say the leak was
// caught by its intended check and the clean server passed, and the bench must end every process it started.
import { spawnSync, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compiled } from '../../src/paths.js';
import { hasMarker, listPids } from '../../src/harness/probes/proc-reader.js';
import { BUSY_MARKER } from '../../bench/accuracy.js';
import type { AccuracyReport } from '../../bench/lib/accuracy-report.js';

const cc = spawnSync('cc', ['--version'], { timeout: 10_000 });
const noCompiler = cc.error || cc.status !== 0 ? 'no C compiler (cc) here' : false;

t.test('a tiny matrix: the leak caught on its check, the clean fixture passing', { skip: noCompiler }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'handoff-accuracy-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const args = [compiled('bench/accuracy.js'), '--quick', '--subjects', 'c-forking', '--classes', 'clean,unreaped', '--out', out];
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, args, { timeout: 240_000, killSignal: 'SIGINT' }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(-500)})`);
  t.match(r.stdout, /accuracy report: .*accuracy\.md/);
  const report = JSON.parse(readFileSync(join(out, 'accuracy.json'), 'utf8')) as AccuracyReport;
  const cell = (key: string) => report.cells.find((c) => c.key === key);
  const leak = cell('c-forking/unreaped@1');
  const clean = cell('c-forking/clean');
  t.match(leak, { runs: 1, fails: 1, caughtAsIntended: 1, detectionRate: 1, intendedRate: 1 }, 'the unreaped child: caught by no-zombies');
  t.ok(leak?.failedChecks['no-zombies'], 'no-zombies failed');
  t.match(clean, { runs: 1, fails: 0, falsePositiveRate: 0, inconclusive: 0, errors: 0 }, 'the clean fixture passed');
  t.ok(report.settings.busy, 'with a busy loop beside');
  t.match(readFileSync(join(out, 'accuracy.md'), 'utf8'), /\| c-forking \| unreaped \| 1 \| 1\/1 \(100 %\) \| 1\/1 \|/);
  const busyLeft = listPids().filter((pid) => hasMarker(pid, BUSY_MARKER, out) === true);
  t.same(busyLeft, [], 'the busy loop was ended');
  const fixtureLeft = listPids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(join(out, 'build', 'forking-server'));
    } catch {
      return false;
    }
  });
  t.same(fixtureLeft, [], 'no fixture server left');
});
