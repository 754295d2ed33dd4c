// `--ignore` changes what the checks count, never what the cleanup kills (issue 18). A target whose escapers
// (a marked setsid daemon, an unmarked one, a child in its own group) all match the ignore pattern: the checks
// leave them out, and the run still ends every one of them. Before the fix all three kept running after a PASS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../src/paths.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { escaperPids, markedPids, runCli, tempReportDir } from './helpers.js';

const TAG = `${process.pid % 1000}77`;
const escapers = (): number[] => escaperPids(TAG);

t.test('processes matching --ignore are still killed by the cleanup', async (t) => {
  t.teardown(() => {
    for (const pid of escapers()) process.kill(pid, 'SIGKILL');
  });
  const dir = tempReportDir(t);
  const suite = join(dir, 'suite.json');
  writeFileSync(
    suite,
    JSON.stringify({ duration: '300ms', connections: 2, drain: '500ms', shutdown: '1s', warmup: '300ms', load: [{ generator: 'flood' }] }),
  );
  const server = join(packageRoot, 'test/harness/fixtures/escaper-server.py');
  const r = await runCli([
    'stress',
    '--quiet',
    '--mode',
    'server',
    '--echo',
    '--suite',
    suite,
    '--load-cap',
    '0',
    '--report-dir',
    dir,
    '--ignore',
    '^sleep 3600',
    '--',
    'python3',
    server,
    '{port}',
    TAG,
  ]);
  t.ok(r.report, `a report (exit ${r.code}, ${r.stderr.slice(-300)})`);
  t.equal(
    r.report?.checks.find((c) => c.id === 'no-orphans')?.pass,
    true,
    'the ignored escapers are left out of no-orphans (what --ignore is for)',
  );
  t.ok(
    await pollUntil(() => escapers().length === 0, 3_000),
    `and none of them survives the run (left: ${escapers().join(', ') || 'none'})`,
  );
  t.same(r.runId ? markedPids(r.runId) : ['no run id'], [], 'nothing carries the run marker');
});
