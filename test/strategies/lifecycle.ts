// Process-level checks every strategy must pass, read straight from /proc: resting state comes back after
// sequential and concurrent connections, a child killed mid-request is reaped (and replaced when the
// strategy keeps a pool), SIGTERM under load leaves nothing of the process tree behind.
import net from 'node:net';
import type { t as tapT } from 'tap';
import { startOrigin, type TestOrigin } from '../helpers/origin.js';
import { startProxy, type ProxyProcess } from '../helpers/proxy-process.js';
import { churn, churnOnce, poll } from './churn.js';
import { descendants, fdCount, groupMembers, killGroup, liveChildren } from './proc.js';

type Tap = typeof tapT;

export interface LifecycleOptions {
  strategy: string;
  args?: string[];
  /** connections per phase */
  n?: number;
}

/** Runs the lifecycle checks as one subtest of `parent` (its teardown kills every proxy group it started). */
export function lifecycleSuite(parent: Tap, name: string, opts: LifecycleOptions): Promise<unknown> {
  return parent.test(name, (t) => lifecycleChecks(t, opts));
}

/** a subtest object (the last overload of t.test takes just the callback) */
export type Sub = Parameters<Parameters<Tap['test']>[0]>[0];

async function lifecycleChecks(t: Sub, opts: LifecycleOptions): Promise<void> {
  const n = opts.n ?? 12;
  const args = opts.args ?? [];
  const origin: TestOrigin = await startOrigin();
  const proxies: ProxyProcess[] = [];
  t.teardown(async () => {
    for (const p of proxies) killGroup(p.pid);
    await origin.close();
  });
  const launch = async (extra: string[] = []): Promise<ProxyProcess> => {
    const p = await startProxy(opts.strategy, [...args, ...extra]);
    proxies.push(p);
    return p;
  };

  const proxy = await launch();
  const resident = proxy.pool?.resident ?? 0;
  const atRest = (): boolean => liveChildren(proxy.pid).length === resident;
  // warm-up, then the resting state every later phase must come back to
  for (const r of await churn(proxy.port, origin.port, 2, 1)) t.equal(r.status, 200, 'warm-up answered');
  t.ok(await poll(atRest, 15_000), `children at rest = pool.resident (${resident})`);
  await new Promise((r) => setTimeout(r, 300));
  const baseFds = fdCount(proxy.pid);
  t.ok(baseFds > 0, `master resting fd count ${baseFds}`);

  for (const [label, concurrency] of [
    ['sequential', 1],
    ['concurrent', 4],
  ] as const) {
    await t.test(`${n} ${label} connections, then back to rest`, async (t) => {
      const results = await churn(proxy.port, origin.port, n, concurrency);
      t.equal(results.filter((r) => r.status === 200).length, n, 'every connection answered 200');
      t.equal(results.filter((r) => r.eof).length, n, 'every connection saw EOF');
      t.ok(await poll(atRest, 15_000), `live children back to ${resident} (now ${liveChildren(proxy.pid).length})`);
      t.ok(await poll(() => fdCount(proxy.pid) <= baseFds, 15_000), `master fds back to ${baseFds} (now ${fdCount(proxy.pid)})`);
      // a child that just exited is a zombie until the master's SIGCHLD handler runs: a moment, not a leak
      const zombies = (): unknown[] => descendants(proxy.pid).filter((p) => p.state === 'Z');
      t.ok(await poll(() => zombies().length === 0, 2_000), `no zombie among descendants (${JSON.stringify(zombies())})`);
    });
  }

  await t.test('a child killed with SIGKILL mid-request is reaped (and replaced when pooled)', async (t) => {
    const before = new Set(liveChildren(proxy.pid).map((p) => p.pid));
    const socket = net.connect(proxy.port, '127.0.0.1');
    const closed = new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => {});
    });
    socket.write(`GET http://127.0.0.1:${origin.port}/slow?delay=4000 HTTP/1.1\r\nHost: a\r\n\r\n`);
    await origin.nextRequest();
    // the serving child: a new one (per-connection) or any pooled worker — kill every candidate
    const victims = resident > 0 ? liveChildren(proxy.pid) : liveChildren(proxy.pid).filter((p) => !before.has(p.pid));
    t.ok(victims.length > 0, `found the child(ren) to kill: ${victims.map((v) => v.pid).join(' ')}`);
    for (const v of victims) process.kill(v.pid, 'SIGKILL');
    const got = await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    t.not(got, null, 'the client saw its connection closed');
    t.notMatch(got ?? '', /^HTTP\/1\.1 200/, 'no answer pretended success');
    const victimPids = new Set(victims.map((v) => v.pid));
    t.ok(await poll(() => descendants(proxy.pid).every((p) => !victimPids.has(p.pid)), 10_000), 'killed children reaped (no zombie left)');
    t.ok(await poll(atRest, 20_000), `children back to ${resident}${resident ? ' (replaced)' : ''}`);
    if (resident > 0)
      t.ok(
        liveChildren(proxy.pid).every((p) => !victimPids.has(p.pid)),
        'replacements are new processes',
      );
    t.ok(await poll(() => fdCount(proxy.pid) <= baseFds, 15_000), `master fds back to ${baseFds} (now ${fdCount(proxy.pid)})`);
    // cluster: with every worker gone the shared listener closes until a replacement listens again
    t.ok(await poll(async () => (await churnOnce(proxy.port, origin.port)).status === 200, 20_000, 200), 'serving again');
  });

  await t.test('SIGTERM under load: exit 0 and nothing of the process tree left', async (t) => {
    const p = await launch(['--shutdown-grace', '2s']);
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) await churnOnce(p.port, origin.port, '/slow?delay=300', 8_000);
      }),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const treeBefore = descendants(p.pid).length;
    process.kill(p.pid, 'SIGTERM');
    const exit = await Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
    stop = true;
    await load;
    t.same(exit, { code: 0, signal: null }, `master exited 0 (had ${treeBefore} descendants under load)`);
    t.ok(
      await poll(() => groupMembers(p.pid).length === 0, 5_000),
      `no process of the group left (${groupMembers(p.pid)
        .map((m) => `${m.pid} ${m.state} ${m.cmdline}`)
        .join('; ')})`,
    );
  });
}
