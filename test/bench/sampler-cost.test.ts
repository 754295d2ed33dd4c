// The sampler-cost bench measures what it says: a tree of N children of K threads each, seen whole by the sampler.
// Runs the built bench (dist/, as `npm run bench` does): its tree parent re-executes the bench file with plain node.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../src/paths.js';

t.test('--threads: every child of the watched tree has K threads, and the sampler sees them all', async (t) => {
  const out = execFileSync(
    process.execPath,
    [join(packageRoot, 'dist', 'bench', 'sampler-cost.js'), '4', '--threads', '3', '--seconds', '1'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1)!);
  t.equal(r.threadsPerChild, 3);
  t.equal(r.seen.children, 4, 'the four children');
  t.equal(r.seen.threads, 12, 'three threads each');
  t.ok(r.samples >= 5, `samples were taken (${r.samples})`);
});

t.test('--threads out of range is refused', async (t) => {
  t.throws(() =>
    execFileSync(process.execPath, [join(packageRoot, 'dist', 'bench', 'sampler-cost.js'), '4', '--threads', '0'], {
      stdio: 'pipe',
      timeout: 30_000,
    }),
  );
});
