// --strategy fork --spares N: children forked ahead accept their one connection themselves. The zygote keeps N
// idle spares (within --max-children), replaces each spare that is taken or killed, never holds a client socket,
// and on shutdown stands idle spares down while busy ones finish.
import t from 'tap';
import type net from 'node:net';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { startOrigin, type TestOrigin } from '../helpers/origin.js';
import { connect, rawExchange, readResponse } from '../helpers/raw-http.js';
import { startProxy, groupAlive, pollUntil, type ProxyProcess } from '../helpers/proxy-process.js';
import { whenForkAvailable } from './addon-available.js';
import { alive, childrenOf, fdCount } from '../strategies/proc.js';

await whenForkAvailable(run);

async function run(): Promise<void> {
  const origin: TestOrigin = await startOrigin();
  const proxies: ProxyProcess[] = [];
  const held: net.Socket[] = [];
  t.teardown(async () => {
    for (const s of held) s.destroy();
    for (const p of proxies) p.killGroup();
    await origin.close();
  });
  const launch = async (args: string[]): Promise<ProxyProcess> => {
    const p = await startProxy('fork', args, 30_000);
    proxies.push(p);
    return p;
  };
  const get = (port: number, path: string): Promise<{ status: number; body: string }> =>
    rawExchange(port, `GET http://127.0.0.1:${origin.port}${path} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n`);
  const hold = async (port: number, path: string): Promise<net.Socket> => {
    const s = await connect(port);
    held.push(s);
    s.write(`GET http://127.0.0.1:${origin.port}${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
    await readResponse(s);
    return s;
  };
  const live = (pid: number) => childrenOf(pid).filter((c) => c.state !== 'Z');

  const main = await launch(['--spares', '2']);

  await t.test('declares its spares and keeps exactly that many at rest', async (t) => {
    t.same(main.pool, { resident: 2, cap: 64 }, 'pool: 2 resident, cap = --max-children');
    t.ok(await pollUntil(() => live(main.pid).length === 2, 10_000), `2 idle spares (saw ${live(main.pid).length})`);
  });

  await t.test('every connection is served by a spare; spares are replaced; nothing else stays', async (t) => {
    const restFds = fdCount(main.pid);
    const before = new Set(live(main.pid).map((c) => c.pid));
    for (let i = 0; i < 10; i++) t.equal((await get(main.port, `/seq/${i}`)).status, 200, `sequential ${i}`);
    const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => get(main.port, `/conc/${i}`).then((r) => r.status)));
    t.same(statuses, Array(10).fill(200), 'every concurrent request answered 200');
    t.ok(
      await pollUntil(() => live(main.pid).length === 2 && childrenOf(main.pid).length === 2, 10_000),
      'back to 2 idle spares, no zombie',
    );
    t.notOk(
      live(main.pid).some((c) => before.has(c.pid)),
      'the spares of the start were taken and replaced',
    );
    t.ok(await pollUntil(() => fdCount(main.pid) === restFds, 5_000), `zygote fds back to ${restFds} (now ${fdCount(main.pid)})`);
  });

  await t.test('the zygote never holds a client socket', async (t) => {
    const restFds = fdCount(main.pid);
    const sockets = [await hold(main.port, '/held/1'), await hold(main.port, '/held/2'), await hold(main.port, '/held/3')];
    t.ok(await pollUntil(() => live(main.pid).length === 5, 10_000), '3 busy children and 2 idle spares');
    t.equal(fdCount(main.pid), restFds, 'zygote fd count unchanged while 3 connections are served');
    for (const s of sockets) s.destroy();
    t.ok(await pollUntil(() => live(main.pid).length === 2, 10_000), 'busy children exit with their clients');
  });

  await t.test('an idle spare killed from outside is replaced', async (t) => {
    const victim = live(main.pid)[0]!.pid;
    process.kill(victim, 'SIGKILL');
    t.ok(
      await pollUntil(() => !alive(victim) && live(main.pid).length === 2 && childrenOf(main.pid).length === 2, 10_000),
      'reaped and replaced',
    );
    t.equal((await get(main.port, '/after-kill')).status, 200, 'still serving');
  });

  await t.test('--max-children bounds spares and busy children together', async (t) => {
    const p = await launch(['--spares', '2', '--max-children', '3']);
    t.ok(await pollUntil(() => live(p.pid).length === 2, 10_000), '2 spares');
    const a = await hold(p.port, '/cap/1');
    const b = await hold(p.port, '/cap/2');
    t.ok(await pollUntil(() => live(p.pid).length === 3, 10_000), '2 busy + 1 spare: at the cap');
    await new Promise((r) => setTimeout(r, 300));
    t.equal(live(p.pid).length, 3, 'no fourth child');
    const c = await hold(p.port, '/cap/3');
    t.equal(live(p.pid).length, 3, 'the third connection took the last spare; no replacement above the cap');
    const waiting = get(p.port, '/cap/queued');
    await new Promise((r) => setTimeout(r, 300));
    t.equal(live(p.pid).length, 3, 'a fourth connection waits in the backlog');
    a.destroy();
    t.equal((await waiting).status, 200, 'served once a child exited');
    b.destroy();
    c.destroy();
    t.ok(await pollUntil(() => live(p.pid).length === 2, 10_000), 'back to 2 spares');
  });

  await t.test('zombie canary with spares: exited children are never waited for', async (t) => {
    const p = await launch(['--spares', '1', '--fault', 'zombie']);
    for (let i = 0; i < 3; i++) t.equal((await get(p.port, `/z/${i}`)).status, 200, `request ${i}`);
    const zombies = (): number => childrenOf(p.pid).filter((c) => c.state === 'Z').length;
    t.ok(await pollUntil(() => zombies() === 3, 10_000), `3 zombies under the zygote (saw ${zombies()})`);
  });

  await t.test('SIGTERM: idle spares stand down, the in-flight child finishes, exit 0, nothing left', async (t) => {
    // a long grace, so that a shutdown held to it cannot pass for a quick one on a slow machine
    const p = await launch(['--spares', '2', '--shutdown-grace', '20s']);
    t.ok(await pollUntil(() => live(p.pid).length === 2, 10_000), '2 spares');
    const s = await connect(p.port);
    held.push(s);
    s.write(`GET http://127.0.0.1:${origin.port}/slow?delay=500 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    t.ok(await pollUntil(() => live(p.pid).length === 3, 5_000), 'a child is serving, 2 spares wait');
    const started = Date.now();
    process.kill(p.pid, 'SIGTERM');
    t.equal((await readResponse(s)).status, 200, 'the in-flight response completed');
    const { code } = await p.exited;
    t.equal(code, 0, 'exit code 0');
    t.ok(Date.now() - started < 10_000, `idle spares did not hold the shutdown to its grace (${Date.now() - started} ms of 20 s)`);
    t.ok(await pollUntil(() => !groupAlive(p.pid), 5_000), 'no process of its group is left');
  });

  await t.test('zygote killed with SIGKILL: spares and busy children exit', async (t) => {
    const p = await launch(['--spares', '2']);
    await hold(p.port, '/hold/k');
    t.ok(await pollUntil(() => live(p.pid).length === 3, 10_000), '1 busy child, 2 spares');
    const kids = live(p.pid).map((c) => c.pid);
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
    t.ok(await pollUntil(() => kids.every((k) => !alive(k)), 5_000), 'every child exited');
  });

  await t.test('no-parent-close needs the zygote to accept: with --spares it is a usage error', async (t) => {
    const r = spawnSync(process.execPath, [cliPath(), 'serve', '--strategy', 'fork', '--spares', '1', '--fault', 'no-parent-close'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    t.equal(r.status, 2, 'exit 2');
    t.match(r.stderr, /no-parent-close needs a zygote that accepts/, r.stderr.trim());
  });
}
