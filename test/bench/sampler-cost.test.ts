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

t.test('a count first, without --threads, is the tree size; --events looks measures both looks', async (t) => {
  const out = execFileSync(
    process.execPath,
    [join(packageRoot, 'dist', 'bench', 'sampler-cost.js'), '5', '--seconds', '1', '--events', 'looks'],
    { encoding: 'utf8', timeout: 90_000 },
  );
  const rows = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  t.same(
    rows.map((r) => [r.processes, r.mode]),
    [
      [5, 'events-schedstat'],
      [5, 'events'],
      [5, 'events-schedstat'],
      [5, 'events'],
    ],
  );
  for (const r of rows) t.equal(r.seen.children, 5);
});

t.test('npm run bench judges the sampler at 100, 1 000 and 1 000 × 8 threads', async (t) => {
  const { evaluateTargets } = await import('../../bench/lib/targets.js');
  const cost = (processes: number, threadsPerChild: number, cpuPctOfCore: number) =>
    ({
      processes,
      threadsPerChild,
      cpuPctOfCore,
      seconds: 5,
      intervalMs: 100,
      idleCpuPctOfCore: 0.2,
      perSampleMs: { p50: 1 },
      eventsUnavailable: null,
    }) as unknown as import('../../bench/sampler-cost.js').SamplerCost;
  const targets = evaluateTargets({ samplerCosts: [cost(100, 1, 1.5), cost(1000, 1, 2.9), cost(1000, 8, 3.4)] });
  const sampler = targets.filter((x) => x.id.startsWith('sampler-cpu'));
  t.same(
    sampler.map((x) => [x.id, x.threshold, x.ratio, x.met]),
    [
      ['sampler-cpu-100', 2, 1.5, true],
      ['sampler-cpu-1000', 3, 2.9, true],
      ['sampler-cpu-1000x8', 3, 3.4, false],
    ],
  );
  const none = evaluateTargets({}).filter((x) => x.id.startsWith('sampler-cpu'));
  t.equal(none.length, 3);
  for (const x of none) t.equal(x.met, null, `${x.id}: not measured is not met`);
});
