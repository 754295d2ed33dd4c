// Every canary fault really produces its leak (and the clean strategy does not), observed from outside:
// no EOF for no-parent-close, a state-Z process for zombie, survivors after SIGTERM for orphan-on-shutdown,
// a growing fd count for fd-leak, a child alive long after its connection for child-stall, and the
// client-visible effect of ack-death.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startOrigin } from '../helpers/origin.js';
import { startProxy, type ProxyProcess } from '../helpers/proxy-process.js';
import { churn, churnOnce, poll } from './churn.js';
import { descendants, fdCount, fdTargets, groupMembers, killGroup, liveChildren } from './proc.js';

t.setTimeout(600_000);
const origin = await startOrigin();
const proxies: ProxyProcess[] = [];
t.teardown(async () => {
  for (const p of proxies) killGroup(p.pid);
  await origin.close();
});
async function launch(strategy: string, args: string[]): Promise<ProxyProcess> {
  const p = await startProxy(strategy, args);
  proxies.push(p);
  return p;
}
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const [strategy, args] of [
  ['per-connection', ['--handoff', 'ipc']],
  ['per-connection', ['--handoff', 'stdio']],
  ['prefork', ['--workers', '2']],
] as const) {
  await t.test(`no-parent-close (${strategy} ${args.join(' ')}): the client gets its answer but never EOF`, async (t) => {
    const p = await launch(strategy, [...args, '--fault', 'no-parent-close']);
    await poll(() => liveChildren(p.pid).length === (p.pool?.resident ?? 0), 15_000);
    const before = fdCount(p.pid);
    const results = await Promise.all([1, 2, 3].map(() => churnOnce(p.port, origin.port, '/npc', 2_500)));
    for (const r of results) {
      t.equal(r.status, 200, 'answered');
      t.notOk(r.eof, `no EOF within 2.5 s (${r.ms} ms)`);
    }
    await settle(300);
    t.ok(fdCount(p.pid) >= before + 3, `the master kept a copy of each socket (fds ${before} → ${fdCount(p.pid)})`);
  });
}

for (const strategy of ['per-connection', 'prefork']) {
  await t.test(`zombie (${strategy}): a descendant in state Z that nobody waits for`, async (t) => {
    const p = await launch(strategy, ['--fault', 'zombie']);
    const r = await churnOnce(p.port, origin.port);
    t.equal(r.status, 200, 'still serves');
    const found = await poll(() => descendants(p.pid).some((d) => d.state === 'Z'), 10_000);
    t.ok(found, 'a zombie among the descendants');
    await settle(1_000);
    const z = descendants(p.pid).filter((d) => d.state === 'Z');
    t.ok(z.length > 0, `still a zombie 1 s later (pids ${z.map((d) => d.pid).join(' ')}): never reaped`);
  });
}

for (const strategy of ['per-connection', 'prefork']) {
  await t.test(`orphan-on-shutdown (${strategy}): children outlive the master`, async (t) => {
    const p = await launch(strategy, ['--fault', 'orphan-on-shutdown']);
    t.ok(await poll(() => liveChildren(p.pid).length > 0, 15_000), 'children running before SIGTERM');
    process.kill(p.pid, 'SIGTERM');
    const exit = await p.exited;
    t.same(exit, { code: 0, signal: null }, 'the master exits 0 at once');
    await settle(2_000);
    const left = groupMembers(p.pid);
    t.ok(left.length > 0, `2 s later, processes of its group still run: ${left.map((m) => `${m.pid} ppid=${m.ppid}`).join(', ')}`);
    t.ok(
      left.every((m) => m.ppid !== p.pid),
      'reparented away (orphans)',
    );
  });
}

for (const [strategy, leaker] of [
  ['per-connection', 'master'],
  ['prefork', 'workers'],
] as const) {
  await t.test(`fd-leak (${strategy}): the ${leaker}' descriptor count grows with every connection`, async (t) => {
    const p = await launch(strategy, ['--fault', 'fd-leak', ...(strategy === 'prefork' ? ['--workers', '1'] : [])]);
    const owner = (): number => (leaker === 'master' ? p.pid : (liveChildren(p.pid)[0]?.pid ?? -1));
    await poll(() => owner() > 0, 15_000);
    const before = fdCount(owner());
    const results = await churn(p.port, origin.port, 8, 2);
    t.equal(results.filter((r) => r.status === 200 && r.eof).length, 8, 'answered, with EOF (the leak is elsewhere)');
    await settle(1_000);
    const after = fdCount(owner());
    t.ok(after >= before + 8, `fds ${before} → ${after} and not coming back`);
    t.ok(fdTargets(owner()).filter((f) => f.includes('handoff-access-')).length >= 8, 'the leaked fds are the access log');
    // …an unlinked one: a killed proxy runs no close hook, and its log must not stay in /tmp
    t.notOk(existsSync(join(tmpdir(), `handoff-access-${owner()}.log`)), 'the log is not on disk');
    t.ok(
      fdTargets(owner()).some((f) => /handoff-access-\d+\.log \(deleted\)$/.test(f)),
      'its descriptors name it as deleted',
    );
  });
}

await t.test('child-stall (per-connection): a child lives on after its connection, until the linger kill', async (t) => {
  const p = await launch('per-connection', ['--fault', 'child-stall', '--child-linger', '4s']);
  const r = await churnOnce(p.port, origin.port);
  t.ok(r.status === 200 && r.eof, 'the connection itself completed with EOF');
  await settle(2_000);
  t.equal(liveChildren(p.pid).length, 1, '2 s after the connection ended the child is still alive');
  t.ok(await poll(() => liveChildren(p.pid).length === 0, 10_000), "the master's linger kill ends it (SIGTERM, then SIGKILL)");
  // the kill makes it a zombie for a moment: the master reaps it on SIGCHLD (a master that never did would keep it)
  const reaped = await poll(() => descendants(p.pid).length === 0, 2_000);
  t.ok(reaped, `and reaps it (left: ${JSON.stringify(descendants(p.pid))})`);
});

await t.test('ack-death (per-connection ipc): the child dies holding the handle; the client sees a reset', async (t) => {
  const p = await launch('per-connection', ['--fault', 'ack-death']);
  const base = fdCount(p.pid);
  const results = await Promise.all([1, 2, 3].map(() => churnOnce(p.port, origin.port, '/ack', 5_000)));
  for (const r of results) {
    t.equal(r.status, null, 'no answer');
    t.ok(r.reset || r.eof, `connection closed promptly (${r.reset ? 'reset' : 'EOF'} after ${r.ms} ms)`);
  }
  // Observed: the child exits inside its 'message' handler, after Node already sent NODE_HANDLE_ACK, so
  // the master's copy was closed on the ack; the request bytes were unread, so the close is a reset.
  t.ok(await poll(() => liveChildren(p.pid).length === 0, 10_000), 'children gone');
  t.ok(await poll(() => fdCount(p.pid) <= base, 10_000), `master fds back to ${base} (now ${fdCount(p.pid)})`);
});

await t.test('--max-children caps live children; queued connections are still served', async (t) => {
  const p = await launch('per-connection', ['--max-children', '2']);
  t.same(p.pool, { resident: 0, cap: 2 }, 'pool line declares the cap');
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, liveChildren(p.pid).length)), 10);
  const results = await churn(p.port, origin.port, 6, 6, '/slow?delay=500');
  clearInterval(sampler);
  t.equal(results.filter((r) => r.status === 200 && r.eof).length, 6, 'all 6 answered');
  t.ok(peak <= 2 && peak > 0, `peak live children ${peak} ≤ 2`);
});
