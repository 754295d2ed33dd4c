// --fault-rate: a canary that bites only a share of connections (the rare leak of a real server), drawn from a
// seeded dice. The dice, the flag's validation (exit 2, one line), and a live proxy that leaks on some
// connections and not on others.
import t from 'tap';
import net from 'node:net';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { FAULT_SEED_ENV, faultDice } from '../../src/proxy/faults.js';
import { parseProxyFlags, proxyOptionsToArgs } from '../../src/proxy/parse-options.js';
import { startProxy } from '../helpers/proxy-process.js';

const throws = (dice: () => boolean, n: number): boolean[] => Array.from({ length: n }, () => dice());

t.test('the dice: the share it was given, replayed by its seed, apart by its salt', async (t) => {
  const a = throws(faultDice(0.5, 'inline', 'seed-1'), 2_000);
  t.same(throws(faultDice(0.5, 'inline', 'seed-1'), 2_000), a, 'same seed and salt: same throws');
  t.not(throws(faultDice(0.5, 'worker:7', 'seed-1'), 2_000).join(), a.join(), 'another salt: other throws');
  const share = a.filter(Boolean).length / a.length;
  t.ok(share > 0.45 && share < 0.55, `0.5 leaks about half the time (${share})`);
  const rare = throws(faultDice(0.01, 'inline', 'seed-2'), 20_000).filter(Boolean).length;
  t.ok(rare > 140 && rare < 260, `0.01 leaks about 1 in 100 (${rare} of 20000)`);
  t.ok(throws(faultDice(1, 'inline'), 100).every(Boolean), 'rate 1: every throw leaks');
});

t.test('--fault-rate is parsed, carried to the serve argv, and refused out of (0, 1]', async (t) => {
  const o = parseProxyFlags({ strategy: 'per-connection', fault: 'no-parent-close', faultRate: '0.05' });
  t.equal(o.faultRate, 0.05);
  t.match(proxyOptionsToArgs(o).join(' '), /--fault no-parent-close --fault-rate 0.05/);
  t.equal(parseProxyFlags({}).faultRate, 1, 'default 1');
  t.notOk(proxyOptionsToArgs(parseProxyFlags({ fault: 'zombie' })).includes('--fault-rate'), 'the default is not passed');
  for (const bad of ['0', '2', 'abc', '-0.5', '', '1e-2x']) {
    t.throws(() => parseProxyFlags({ fault: 'fd-leak', faultRate: bad }), /invalid --fault-rate/, `"${bad}" refused`);
  }
  t.throws(() => parseProxyFlags({ faultRate: '0.5' }), /--fault-rate needs --fault/);
  for (const bad of ['0', '2', 'abc']) {
    const r = spawnSync(process.execPath, [cliPath(), 'serve', '--fault', 'fd-leak', '--fault-rate', bad], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    t.equal(r.status, 2, `serve --fault-rate ${bad}: exit 2`);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.match(r.stderr, /invalid --fault-rate/);
  }
});

/** Descriptors of the fd-leak canary's access log held by pid (its anchor included). */
function accessLogFds(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (/handoff-access-\d+\.log/.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function connectAndClose(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end());
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

t.test('fd-leak at 0.5 with a seed leaks on some connections and not on others', async (t) => {
  const before = process.env[FAULT_SEED_ENV];
  process.env[FAULT_SEED_ENV] = 'fault-rate-test';
  const proxy = await startProxy('inline', ['--fault', 'fd-leak', '--fault-rate', '0.5']);
  if (before === undefined) delete process.env[FAULT_SEED_ENV];
  else process.env[FAULT_SEED_ENV] = before;
  t.teardown(() => proxy.killGroup());
  const connections = 60;
  for (let i = 0; i < connections; i++) await connectAndClose(proxy.port);
  await new Promise((r) => setTimeout(r, 200));
  const leaked = accessLogFds(proxy.pid) - 1; // the anchor is the log's one legitimate descriptor
  // binomial(60, 0.5): 15..45 holds with probability > 0.9999; the seed makes it the same count every run
  t.ok(leaked >= 15 && leaked <= 45, `${leaked} of ${connections} connections leaked a descriptor`);
  const expected = throws(faultDice(0.5, 'inline', 'fault-rate-test'), connections).filter(Boolean).length;
  t.equal(leaked, expected, "exactly the seeded dice's throws");
});

/** Zombies among the descendants of pid (the zombie canary's are the log sink's children). */
function zombiesUnder(pid: number): number {
  const children = new Map<number, number[]>();
  const state = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      state.set(Number(name), rest[0]!);
      const ppid = Number(rest[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  let n = 0;
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      if (state.get(c) === 'Z') n++;
      walk(c);
    }
  };
  walk(pid);
  return n;
}

t.test('zombie at 0.2: a rare zombie outlives the clean connections after it (no reaper in the sink)', async (t) => {
  const before = process.env[FAULT_SEED_ENV];
  process.env[FAULT_SEED_ENV] = 'zombie-rate-test';
  const proxy = await startProxy('inline', ['--fault', 'zombie', '--fault-rate', '0.2']);
  if (before === undefined) delete process.env[FAULT_SEED_ENV];
  else process.env[FAULT_SEED_ENV] = before;
  t.teardown(() => proxy.killGroup());
  const dice = throws(faultDice(0.2, 'inline', 'zombie-rate-test'), 40);
  const expected = dice.filter(Boolean).length;
  const last = dice.lastIndexOf(true);
  t.ok(expected > 0 && last < dice.length - 1, `the seed leaks ${expected} times, the last at connection ${last + 1} of ${dice.length}`);
  for (let i = 0; i < dice.length; i++) await connectAndClose(proxy.port);
  // the sink forks as it reads; give it a moment, then the count holds: no later line reaped any of them
  let seen = 0;
  for (let i = 0; i < 40 && seen < expected; i++) {
    await new Promise((r) => setTimeout(r, 50));
    seen = zombiesUnder(proxy.pid);
  }
  t.equal(seen, expected, `${seen} zombies, one for each leaky connection, the last one too`);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(zombiesUnder(proxy.pid), expected, 'still there half a second later');
});
