// The drain's stopping rules on hand-made samples: converging trees get more time, stuck ones do not.
import t from 'tap';
import { excessOf, hasYoungZombie, stillConverging } from '../../src/harness/drain.js';
import type { RunObservations } from '../../src/harness/checks/observations.js';
import type { ProcessSnapshot, Sample } from '../../src/harness/probes/types.js';

const proc = (pid: number, depth: number, state = 'S', fds = 3): ProcessSnapshot => ({
  pid,
  starttime: pid,
  ppid: 1,
  pgrp: 1,
  state,
  cmdline: 'x',
  depth,
  rssBytes: 0,
  cpuTicks: 0,
  fds: Array.from({ length: fds }, (_, i) => ({ fd: i, target: '/dev/null', kind: 'file' as const, inode: null })),
});
const sample = (t: number, tree: ProcessSnapshot[]): Sample => ({ t, tree, orphans: [], sockets: [] });

t.test('excessOf counts surplus children, zombies and fds above baseline', async (t) => {
  const baseline = sample(0, [proc(1, 0)]);
  const obs = (after: Sample) =>
    ({ baseline, afterDrain: after, baselineChildren: 0, target: { pool: null } }) as unknown as RunObservations;
  t.equal(excessOf(obs(sample(1, [proc(1, 0)]))), 0);
  t.equal(excessOf(obs(sample(1, [proc(1, 0), proc(2, 1), proc(3, 1, 'Z')]))), 1 + 1 + 3, 'one live child (+3 fds), one zombie');
  t.equal(excessOf(obs(sample(1, [proc(1, 0, 'S', 5)]))), 2, 'two fds above baseline');
});

t.test('stillConverging: a new low within the window', async (t) => {
  // a prefork server retiring one idle child a second
  const retiring = [0, 500, 1000, 1500, 2000, 2500, 3000].map((t, i) => ({ t, excess: 6 - Math.floor(i / 2) }));
  t.ok(stillConverging(retiring, 3000), 'falls every second: converging');
  const stuck = [0, 500, 1000, 1500, 2000, 2500, 3000].map((t) => ({ t, excess: 4 }));
  t.notOk(stillConverging(stuck, 3000), 'flat: not converging');
  const stopped = [
    { t: 0, excess: 5 },
    { t: 200, excess: 2 },
    { t: 1000, excess: 2 },
    { t: 2000, excess: 2 },
    { t: 3000, excess: 2 },
  ];
  t.notOk(stillConverging(stopped, 3000), 'fell early, then stopped: not converging now');
  t.ok(
    stillConverging(
      [
        { t: 0, excess: 3 },
        { t: 300, excess: 2 },
      ],
      300,
    ),
    'a short drain that fell',
  );
  t.notOk(stillConverging([{ t: 0, excess: 3 }], 0), 'one point says nothing');
});

t.test('hasYoungZombie: a zombie younger than the bound is waited for', async (t) => {
  const s = sample(5000, [proc(1, 0), proc(2, 1, 'Z')]);
  t.ok(
    hasYoungZombie(s, () => 4500, 3000),
    'a zombie for 500 ms',
  );
  t.notOk(
    hasYoungZombie(s, () => 1000, 3000),
    'a zombie for 4 s: past the bound',
  );
  t.notOk(
    hasYoungZombie(sample(5000, [proc(1, 0)]), () => 0, 3000),
    'no zombie',
  );
});
