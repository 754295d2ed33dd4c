// chaos against process trees whose behaviour is known: a parent that reaps and replaces its children (every
// kill reaped), and a parent that never waits (every kill left a zombie: the generator reports it).
import { spawn, type ChildProcess } from 'node:child_process';
import t from 'tap';
import { ChaosGenerator, killCandidates } from '../../src/harness/load/chaos.js';
import { Sampler } from '../../src/harness/probes/sampler.js';
import type { ProcessSnapshot } from '../../src/harness/probes/types.js';
import { loadContext, startRig } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts a process group; ends it on teardown. */
function group(t: { teardown(fn: () => void): void }, cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  return child;
}

async function treeOf(pid: number, wantChildren: number): Promise<Sampler> {
  const sampler = new Sampler({ rootPid: pid, marker: { name: 'HANDOFF_TEST_CHAOS', value: String(pid) }, intervalMs: 50 });
  const deadline = Date.now() + 10_000;
  while (killCandidates(sampler.sampleNow().tree, 1).length < wantChildren && Date.now() < deadline) await sleep(50);
  return sampler;
}

// a parent that keeps 3 children, reaping and replacing each one that dies
const REAPING_PARENT = `
const { spawn } = require('node:child_process');
const keep = () => spawn('sleep', ['30'], { stdio: 'ignore' }).on('exit', () => setTimeout(keep, 20));
for (let i = 0; i < 3; i++) keep();
setTimeout(() => process.exit(0), 30000);
`;

t.test('chaos: killed children are reaped and replaced by a parent that waits', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const parent = group(t, process.execPath, ['-e', REAPING_PARENT]);
  const sampler = await treeOf(parent.pid!, 3);
  const g = new ChaosGenerator('chaos', {
    durationMs: 1_500,
    kills: 3,
    killEveryMs: 300,
    killAfterMs: 100,
    depth: 1,
    reapBoundMs: 2_000,
    sigtermAfterMs: null,
    sigtermMinResponses: 0,
  });
  const o = await g.run(loadContext(rig.target, rig.origin, { tree: () => sampler.sampleNow().tree }));
  const x = o.stats.extra!;
  t.equal(x.kills, 3, 'three kills');
  t.equal(x.reaped, 3, 'each reaped');
  t.equal(x.unreaped, 0);
  t.same(o.counts, {});
  await sleep(200);
  t.equal(killCandidates(sampler.sampleNow().tree, 1).length, 3, 'the parent replaced them');
});

t.test('chaos: a parent that never waits leaves zombies, reported as incidents', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // sh starts two sleeps, then becomes a sleep that never calls wait()
  const parent = group(t, 'sh', ['-c', 'sleep 30 & sleep 30 & exec sleep 30']);
  const sampler = await treeOf(parent.pid!, 2);
  const g = new ChaosGenerator('chaos', {
    durationMs: 600,
    kills: 2,
    killEveryMs: 100,
    killAfterMs: 50,
    depth: 1,
    reapBoundMs: 400,
    sigtermAfterMs: null,
    sigtermMinResponses: 0,
    random: () => 0,
  });
  const o = await g.run(loadContext(rig.target, rig.origin, { tree: () => sampler.sampleNow().tree }));
  t.equal(o.stats.extra!.kills, 2);
  t.equal(o.stats.extra!.unreaped, 2, 'both left as zombies');
  t.equal(o.counts.error, 2);
  t.match(o.incidents[0].detail, /not reaped/);
  const zombies = sampler.sampleNow().tree.filter((p: ProcessSnapshot) => p.state === 'Z');
  t.equal(zombies.length, 2, 'the zombies are really there');
});

t.test('chaos: SIGTERM under load goes through the run hook once', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  let calls = 0;
  const g = new ChaosGenerator('chaos', {
    durationMs: 2_000,
    kills: 0,
    killEveryMs: 500,
    killAfterMs: 0,
    depth: 1,
    reapBoundMs: 100,
    sigtermAfterMs: 200,
    sigtermMinResponses: 0,
  });
  const t0 = Date.now();
  const o = await g.run(loadContext(rig.target, rig.origin, { terminateTarget: async () => void calls++ }));
  t.equal(calls, 1);
  t.equal(o.stats.extra!.sigterm, 1);
  t.ok(Date.now() - t0 < 1_500, 'the generator ends with the SIGTERM');
});

t.test('chaos: a process already killed is never picked again (still dying, or in an older sample)', async (t) => {
  // a victim that stays "alive" in every read: the tree and /proc keep showing it, as they may for a moment
  const victim: ProcessSnapshot = {
    pid: 4_000_001,
    starttime: 42,
    ppid: 1,
    pgrp: 1,
    state: 'S',
    cmdline: 'sleep 30',
    depth: 1,
    fds: [],
    rssBytes: 0,
    cpuTicks: 0,
  };
  const { ChaosGenerator: Chaos } = await t.mockImport<typeof import('../../src/harness/load/chaos.js')>(
    '../../src/harness/load/chaos.js',
    {
      '../../src/harness/probes/proc-reader.ts': {
        readStat: (pid: number) => (pid === victim.pid ? { pid, starttime: 42, state: 'S' } : null),
      },
    },
  );
  const signalled: number[] = [];
  const realKill = process.kill;
  process.kill = ((pid: number, signal?: string | number) => {
    if (pid !== victim.pid) return realKill(pid, signal);
    signalled.push(pid);
    return true;
  }) as typeof process.kill;
  t.teardown(() => {
    process.kill = realKill;
  });
  const rig = await startRig();
  t.teardown(() => rig.close());
  const g = new Chaos('chaos', {
    durationMs: 400,
    kills: 3,
    killEveryMs: 30,
    killAfterMs: 10,
    depth: 1,
    reapBoundMs: 100,
    sigtermAfterMs: null,
    sigtermMinResponses: 0,
  });
  const o = await g.run(loadContext(rig.target, rig.origin, { tree: () => [victim] }));
  t.same(signalled, [victim.pid], 'one SIGKILL, not one per pick');
  t.equal(o.stats.extra!.kills, 1);
});

t.test('killCandidates: "leaves" are the workers whatever wraps them; a depth is one generation', async (t) => {
  const p = (pid: number, ppid: number, depth: number, state = 'S'): ProcessSnapshot =>
    ({ pid, ppid, depth, state, starttime: pid, pgrp: 1, cmdline: `p${pid}`, fds: [] }) as unknown as ProcessSnapshot;
  // sh (root) → nginx master → two workers and a zombie; another child of sh with no children
  const tree = [p(1, 0, 0), p(2, 1, 1), p(3, 2, 2), p(4, 2, 2), p(5, 2, 2, 'Z'), p(6, 1, 1)];
  t.same(
    killCandidates(tree, 'leaves').map((x) => x.pid),
    [3, 4, 6],
    'the workers and the childless helper, never the master, the root or a zombie',
  );
  t.same(
    killCandidates(tree, 1).map((x) => x.pid),
    [2, 6],
    'depth 1: the children of the root, the master among them',
  );
  t.same(killCandidates([p(1, 0, 0)], 'leaves'), [], 'a root alone is never a candidate');
  // the master's only child a zombie: the master is a leaf now (its live workers are gone)
  t.same(
    killCandidates([p(1, 0, 0), p(2, 1, 1), p(5, 2, 2, 'Z')], 'leaves').map((x) => x.pid),
    [2],
  );
});
