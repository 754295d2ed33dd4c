// The canaries' decision points (proxy/canary.ts, proxy/child-canary.ts): no fault meets the no-op; each fault
// turns on exactly its decision points, on the roles where it bites; below rate 1 each decision is the seeded
// dice's throw, salted as it always was (HANDOFF_FAULT_SEED replays a run).
import t from 'tap';
import { readdirSync, readlinkSync } from 'node:fs';
import { createCanary, FAULT_ROLES, NO_CANARY, type Canary, type CanaryRole } from '../../src/proxy/canary.js';
import { createChildCanary, type ChildCanary } from '../../src/proxy/child-canary.js';
import { FAULT_SEED_ENV, FAULTS_BY_STRATEGY, faultDice, NO_HOOKS } from '../../src/proxy/faults.js';
import { DEFAULT_PROXY_OPTIONS, FAULTS, type FaultName } from '../../src/proxy/options.js';
import { assertFaultSupported } from '../../src/proxy/process/fault-support.js';
import type { ChildRole } from '../../src/proxy/process/messages.js';
import { UsageError } from '../../src/util/errors.js';

const ROLES: readonly CanaryRole[] = [
  'inline',
  'per-connection-master',
  'prefork-master',
  'prefork-worker',
  'cluster-primary',
  'cluster-worker',
  'fork-zygote',
];
const CHILD_ROLES: readonly ChildRole[] = ['per-connection', 'worker', 'cluster-worker'];

/** Every decision point of a canary that is on (one throw each, at rate 1), and whether it has hooks. */
function decisions(c: Canary): string[] {
  const fate = c.nextFork();
  const on = {
    keepsParentCopy: c.keepsParentCopy(),
    leavesChildrenOnShutdown: c.leavesChildrenOnShutdown,
    'fork.leavesZombie': fate.leavesZombie,
    'fork.keepsParentCopy': fate.keepsParentCopy,
    'fork.stallsChild': fate.stallsChild,
    hooks: c.onConnection !== NO_HOOKS.onConnection || c.close !== NO_HOOKS.close,
    helperProcesses: c.helperProcesses > 0,
  };
  return Object.entries(on)
    .filter(([, v]) => v)
    .map(([k]) => k);
}

function childDecisions(c: ChildCanary): string[] {
  const on = {
    ignoresMasterDeath: c.ignoresMasterDeath,
    stallsAfter: c.stallsAfter(7),
    diesOnHandle: c.diesOnHandle(7),
    hooks: c.onConnection !== NO_HOOKS.onConnection || c.close !== NO_HOOKS.close,
  };
  return Object.entries(on)
    .filter(([, v]) => v)
    .map(([k]) => k);
}

/** What each fault turns on, by role; a role absent has no decision on. */
const EXPECTED: Record<FaultName, { master: Partial<Record<CanaryRole, string[]>>; child: Partial<Record<ChildRole, string[]>> }> = {
  'no-parent-close': {
    master: {
      'per-connection-master': ['keepsParentCopy'],
      'prefork-master': ['keepsParentCopy'],
      'fork-zygote': ['fork.keepsParentCopy'],
    },
    child: {},
  },
  zombie: {
    master: {
      inline: ['hooks', 'helperProcesses'],
      'per-connection-master': ['hooks', 'helperProcesses'],
      'prefork-master': ['hooks', 'helperProcesses'],
      'cluster-primary': ['hooks', 'helperProcesses'],
      'fork-zygote': ['fork.leavesZombie'],
    },
    child: {},
  },
  'fd-leak': {
    master: {
      inline: ['hooks'],
      'per-connection-master': ['hooks'],
      'prefork-worker': ['hooks'],
      'cluster-worker': ['hooks'],
      'fork-zygote': ['hooks'],
    },
    child: { worker: ['hooks'], 'cluster-worker': ['hooks'] },
  },
  'orphan-on-shutdown': {
    master: { 'per-connection-master': ['leavesChildrenOnShutdown'], 'prefork-master': ['leavesChildrenOnShutdown'] },
    child: { 'per-connection': ['ignoresMasterDeath'], worker: ['ignoresMasterDeath'] },
  },
  'child-stall': { master: { 'fork-zygote': ['fork.stallsChild'] }, child: { 'per-connection': ['stallsAfter'] } },
  'ack-death': { master: {}, child: { 'per-connection': ['diesOnHandle'] } },
};

t.test('no fault: every role meets the no-op (every decision false, no hooks, no helper)', async (t) => {
  const options = { ...DEFAULT_PROXY_OPTIONS, fault: null };
  for (const role of ROLES) {
    const c = createCanary(options, role);
    t.equal(c, NO_CANARY, `${role}: NO_CANARY`);
    t.same(decisions(c), [], `${role}: nothing on`);
    t.same(c.forwardHooks, {}, `${role}: no forward hooks`);
    t.equal(c.helperProcesses, 0);
  }
  for (const role of CHILD_ROLES) {
    const c = createChildCanary(options, role);
    t.same(childDecisions(c), [], `child ${role}: nothing on`);
    t.same(c.forwardHooks, {});
  }
});

t.test('each fault: exactly its decision points, on the roles where it bites', async (t) => {
  for (const fault of FAULTS) {
    const options = { ...DEFAULT_PROXY_OPTIONS, fault, faultRate: 1 };
    for (const role of ROLES) {
      const c = createCanary(options, role);
      t.teardown(() => c.close());
      t.same(decisions(c), EXPECTED[fault].master[role] ?? [], `${fault} on ${role}`);
      t.equal(FAULT_ROLES[fault].includes(role), c !== NO_CANARY, `${fault} on ${role}: FAULT_ROLES says so`);
    }
    for (const role of CHILD_ROLES) {
      const c = createChildCanary(options, role);
      t.teardown(() => c.close());
      t.same(childDecisions(c), EXPECTED[fault].child[role] ?? [], `${fault} in a child ${role}`);
    }
  }
});

t.test('every fault a strategy offers bites one of its roles (no canary that cannot bite)', async (t) => {
  const masters: Record<string, CanaryRole[]> = {
    inline: ['inline'],
    'per-connection': ['per-connection-master'],
    prefork: ['prefork-master', 'prefork-worker'],
    cluster: ['cluster-primary', 'cluster-worker'],
    fork: ['fork-zygote'],
  };
  const children: Record<string, ChildRole[]> = { 'per-connection': ['per-connection'], prefork: ['worker'], cluster: ['cluster-worker'] };
  for (const [strategy, faults] of Object.entries(FAULTS_BY_STRATEGY)) {
    for (const fault of faults) {
      const bites =
        (masters[strategy] ?? []).some((r) => EXPECTED[fault].master[r]) ||
        (children[strategy] ?? []).some((r) => EXPECTED[fault].child[r]);
      t.ok(bites, `${fault} bites on ${strategy}`);
    }
  }
});

t.test('rate < 1: every decision is the seeded dice of its role, thrown as before', async (t) => {
  const before = process.env[FAULT_SEED_ENV];
  process.env[FAULT_SEED_ENV] = 'canary-test';
  t.teardown(() => {
    if (before === undefined) delete process.env[FAULT_SEED_ENV];
    else process.env[FAULT_SEED_ENV] = before;
  });
  const rate = 0.4;
  const n = 200;
  const throws = (dice: () => boolean): boolean[] => Array.from({ length: n }, () => dice());
  const seeded = (salt: string): boolean[] => throws(faultDice(rate, salt, 'canary-test'));
  const opts = (fault: FaultName) => ({ ...DEFAULT_PROXY_OPTIONS, fault, faultRate: rate });

  for (const role of ['per-connection-master', 'prefork-master'] as const) {
    const c = createCanary(opts('no-parent-close'), role);
    const got = throws(() => c.keepsParentCopy());
    t.same(got, seeded(role), `no-parent-close on ${role}: salted "${role}"`);
    t.ok(got.some(Boolean) && !got.every(Boolean), 'some connections keep their copy, some do not');
    t.equal(
      createCanary(opts('orphan-on-shutdown'), role).leavesChildrenOnShutdown,
      true,
      'orphan-on-shutdown: the master always leaves (the children throw)',
    );
  }
  const fates: Array<[FaultName, 'leavesZombie' | 'keepsParentCopy' | 'stallsChild']> = [
    ['zombie', 'leavesZombie'],
    ['no-parent-close', 'keepsParentCopy'],
    ['child-stall', 'stallsChild'],
  ];
  for (const [fault, key] of fates) {
    const c = createCanary(opts(fault), 'fork-zygote');
    t.same(
      throws(() => c.nextFork()[key]),
      seeded('fork-zygote'),
      `${fault} on the fork zygote: one throw per fork, salted "fork-zygote"`,
    );
  }
  const fdLeakZygote = createCanary(opts('fd-leak'), 'fork-zygote');
  t.same(
    throws(() => fdLeakZygote.nextFork().leavesZombie),
    Array(n).fill(false),
    'fd-leak: no fate',
  );
  await fdLeakZygote.close();

  // a child's throws: a fresh dice each, salted with its role and what tells children apart
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const stall = createChildCanary(opts('child-stall'), 'per-connection');
  t.same(
    ids.map((id) => stall.stallsAfter(id)),
    ids.map((id) => faultDice(rate, `per-connection:${id}`, 'canary-test')()),
    'child-stall: salted role:id',
  );
  t.equal(
    stall.stallsAfter(0),
    faultDice(rate, `per-connection:${process.pid}`, 'canary-test')(),
    'child-stall with an inherited descriptor (id 0): salted role:pid',
  );
  const ack = createChildCanary(opts('ack-death'), 'per-connection');
  t.same(
    ids.map((id) => ack.diesOnHandle(id)),
    ids.map((id) => faultDice(rate, `per-connection:${id}`, 'canary-test')()),
    'ack-death: salted role:id',
  );
  for (const role of ['per-connection', 'worker'] as const) {
    t.equal(
      createChildCanary(opts('orphan-on-shutdown'), role).ignoresMasterDeath,
      faultDice(rate, `${role}:orphan:${process.pid}`, 'canary-test')(),
      `orphan-on-shutdown in a ${role}: salted role:orphan:pid`,
    );
  }

  // fd-leak's hooks: a descriptor left open on exactly the dice's leaky connections
  const leak = createCanary(opts('fd-leak'), 'inline');
  const before_ = accessLogFds();
  for (let i = 0; i < n; i++) leak.onConnection();
  const leaked = accessLogFds() - before_;
  await leak.close();
  t.equal(leaked, seeded('inline').filter(Boolean).length, `fd-leak on inline: ${leaked} of ${n} descriptors left open, the dice's throws`);
});

/** Descriptors of this process open on an fd-leak access log. */
function accessLogFds(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (/handoff-access-\d+\.log/.test(readlinkSync(`/proc/self/fd/${fd}`))) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

t.test('refusals: fork no-parent-close with --spares, next to the others', async (t) => {
  const base = { ...DEFAULT_PROXY_OPTIONS, strategy: 'fork' as const, fault: 'no-parent-close' as const };
  t.throws(
    () => assertFaultSupported({ ...base, spares: 2 }),
    new UsageError('--fault no-parent-close needs a zygote that accepts: use --strategy fork without --spares'),
  );
  t.doesNotThrow(() => assertFaultSupported({ ...base, spares: 0 }), 'without spares the zygote accepts');
  t.doesNotThrow(
    () => assertFaultSupported({ ...base, strategy: 'per-connection', spares: 2 }),
    'per-connection spares are handed their sockets',
  );
  t.throws(() => assertFaultSupported({ ...base, strategy: 'cluster' }), /not available on strategy cluster/);
});
