// --strategy fork as a real process: it serves, forks one child per connection, leaves nothing behind, and
// each way it can go wrong on purpose (zombie canary) or by accident (zygote killed) shows.
import t from 'tap';
import type net from 'node:net';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { startOrigin, startTcpOrigins, type TestOrigin, type TcpOrigins } from '../helpers/origin.js';
import { connect, rawExchange, readResponse } from '../helpers/raw-http.js';
import { startProxy, groupAlive, pollUntil, type ProxyProcess } from '../helpers/proxy-process.js';
import { whenForkAvailable } from './addon-available.js';
import { alive, childrenOf, fdCount, readStat } from '../strategies/proc.js';

const readState = (pid: number): string | undefined => readStat(pid)?.state;

await whenForkAvailable(run);

async function run(): Promise<void> {
  const origin: TestOrigin = await startOrigin();
  const tcp: TcpOrigins = await startTcpOrigins();
  const proxies: ProxyProcess[] = [];
  t.teardown(async () => {
    for (const p of proxies) p.killGroup();
    await origin.close();
    await tcp.close();
  });
  const launch = async (args: string[] = []): Promise<ProxyProcess> => {
    const p = await startProxy('fork', ['--connect-ports', String(tcp.echoPort), ...args], 30_000);
    proxies.push(p);
    return p;
  };
  const get = (port: number, path: string): Promise<{ status: number; body: string }> =>
    rawExchange(port, `GET http://127.0.0.1:${origin.port}${path} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n`);
  const noChildren = (pid: number): Promise<boolean> => pollUntil(() => childrenOf(pid).length === 0, 10_000);

  const main = await launch();

  await t.test('the zygote runs with --single-threaded (re-executed in place, same pid)', async (t) => {
    const { readFileSync } = await import('node:fs');
    const cmdline = readFileSync(`/proc/${main.pid}/cmdline`, 'utf8').split('\0');
    t.ok(cmdline.includes('--single-threaded'), cmdline.join(' '));
    t.ok(cmdline.includes('--use-largepages=silent'), 'and with large pages, for cheaper children');
    t.ok(cmdline.includes('--no-lazy') && cmdline.includes('--no-flush-bytecode'), 'and compiling eagerly, once, for every child');
    t.same(main.pool, { resident: 0, cap: 64 }, 'pool: nothing resident, cap = --max-children');
  });

  await t.test('serves GET through a loopback origin, one child per connection', async (t) => {
    const r = await get(main.port, '/fork/get?x=1');
    t.equal(r.status, 200, 'status');
    t.match(JSON.parse(r.body), { method: 'GET', url: '/fork/get?x=1' }, 'origin saw the request');
    t.ok(await noChildren(main.pid), 'the child exited and was reaped');
  });

  await t.test('serves a CONNECT tunnel', async (t) => {
    const socket = await connect(main.port);
    try {
      socket.write(`CONNECT 127.0.0.1:${tcp.echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const head = await readResponse(socket, 10_000, { noBody: true });
      t.equal(head.status, 200, 'tunnel established');
      t.equal(childrenOf(main.pid).length, 1, 'one child holds the tunnel');
      const echoed = new Promise<string>((resolve) => {
        let got = '';
        socket.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.includes('ping')) resolve(got);
        });
        socket.resume();
      });
      socket.write('ping');
      t.equal(await echoed, 'ping', 'bytes echoed through the tunnel');
    } finally {
      socket.destroy();
    }
    t.ok(await noChildren(main.pid), 'tunnel child exited and was reaped');
  });

  await t.test('N sequential and N concurrent connections leave no child, no zombie, fds at rest', async (t) => {
    await pollUntil(() => childrenOf(main.pid).length === 0, 5_000);
    const restFds = fdCount(main.pid);
    const n = 20;
    for (let i = 0; i < n; i++) {
      const r = await get(main.port, `/seq/${i}`);
      if (r.status !== 200) t.fail(`sequential ${i}: status ${r.status}`);
    }
    const statuses = await Promise.all(Array.from({ length: n }, (_, i) => get(main.port, `/conc/${i}`).then((r) => r.status)));
    t.same(statuses, Array(n).fill(200), 'every concurrent request answered 200');
    t.ok(await noChildren(main.pid), `no children left (saw ${JSON.stringify(childrenOf(main.pid))})`);
    t.ok(await pollUntil(() => fdCount(main.pid) === restFds, 5_000), `zygote fds back to ${restFds} (now ${fdCount(main.pid)})`);
  });

  await t.test('--max-children: live children never exceed the cap; queued connections are served later', async (t) => {
    const p = await launch(['--max-children', '2']);
    const idle: net.Socket[] = [];
    try {
      // keep-alive connections hold their child until they close
      for (let i = 0; i < 2; i++) {
        const s = await connect(p.port);
        s.write(`GET http://127.0.0.1:${origin.port}/hold/${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
        t.equal((await readResponse(s)).status, 200, `held connection ${i} served`);
        idle.push(s);
      }
      const waiting = get(p.port, '/queued');
      await new Promise((r) => setTimeout(r, 300));
      t.equal(childrenOf(p.pid).length, 2, 'at the cap: the third connection waits, no third child');
      for (const s of idle) s.destroy();
      t.equal((await waiting).status, 200, 'the queued connection is served once a child exits');
      t.ok(await noChildren(p.pid), 'all children reaped');
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  await t.test('zombie canary: exited children are never waited for (state Z)', async (t) => {
    const p = await launch(['--fault', 'zombie']);
    for (let i = 0; i < 3; i++) t.equal((await get(p.port, `/z/${i}`)).status, 200, `request ${i}`);
    const zombies = (): number => childrenOf(p.pid).filter((c) => c.state === 'Z').length;
    t.ok(await pollUntil(() => zombies() === 3, 10_000), `3 zombies under the zygote (saw ${zombies()})`);
  });

  await t.test('SIGTERM: exit 0, in-flight child finishes, nothing left', async (t) => {
    const p = await launch();
    const s = await connect(p.port);
    s.write(`GET http://127.0.0.1:${origin.port}/slow?delay=300 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    t.ok(await pollUntil(() => childrenOf(p.pid).length === 1, 5_000), 'a child is serving');
    process.kill(p.pid, 'SIGTERM');
    t.equal((await readResponse(s)).status, 200, 'the in-flight response completed');
    s.destroy();
    const { code, signal } = await p.exited;
    t.equal(code, 0, `exit code 0 (signal ${signal})`);
    t.ok(await pollUntil(() => !groupAlive(p.pid), 5_000), 'no process of its group is left');
  });

  await t.test('zygote killed with SIGKILL: its children see the death pipe close and exit', async (t) => {
    const p = await launch();
    const held: net.Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const s = await connect(p.port);
      s.write(`GET http://127.0.0.1:${origin.port}/hold/${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      await readResponse(s);
      held.push(s);
    }
    const kids = childrenOf(p.pid).map((c) => c.pid);
    t.equal(kids.length, 2, 'two children hold keep-alive connections');
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
    t.ok(await pollUntil(() => kids.every((k) => !alive(k)), 5_000), 'every child exited');
    for (const s of held) s.destroy();
  });

  await t.test('a child that cannot run its event loop still dies with the zygote (PR_SET_PDEATHSIG)', async (t) => {
    // A stopped child stands in for one stuck in synchronous JS: neither polls the death pipe.
    const p = await launch();
    const s = await connect(p.port);
    s.write(`GET http://127.0.0.1:${origin.port}/hold/stopped HTTP/1.1\r\nHost: a\r\n\r\n`);
    await readResponse(s);
    const kids = childrenOf(p.pid).map((c) => c.pid);
    t.equal(kids.length, 1, 'one child holds a keep-alive connection');
    const kid = kids[0]!;
    try {
      process.kill(kid, 'SIGSTOP');
      t.ok(await pollUntil(() => readState(kid) === 'T', 5_000), 'the child is stopped');
      process.kill(p.pid, 'SIGKILL');
      await p.exited;
      t.ok(await pollUntil(() => !alive(kid), 5_000), `the stopped child was killed (state ${readState(kid) ?? 'gone'})`);
    } finally {
      s.destroy();
      if (alive(kid)) process.kill(kid, 'SIGKILL');
    }
  });

  await t.test('refuses to run without --single-threaded when re-exec is disabled (exit 2, one line)', async (t) => {
    const r = spawnSync(process.execPath, [cliPath(), 'serve', '--strategy', 'fork', '--port', '0'], {
      env: { ...process.env, HANDOFF_FORK_NO_REEXEC: '1' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    t.equal(r.status, 2, 'exit 2');
    t.match(r.stderr, /--single-threaded/, r.stderr.trim());
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  });

  await t.test('more spares than --max-children is a usage error (spares count toward the cap)', async (t) => {
    const r = spawnSync(process.execPath, [cliPath(), 'serve', '--strategy', 'fork', '--spares', '5', '--max-children', '2'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    t.equal(r.status, 2, 'exit 2');
    t.match(r.stderr, /--spares 5 exceeds --max-children 2/, r.stderr.trim());
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  });

  await t.test('a fault the strategy cannot reproduce is a usage error', async (t) => {
    const r = spawnSync(process.execPath, [cliPath(), 'serve', '--strategy', 'fork', '--fault', 'ack-death'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    t.equal(r.status, 2, 'exit 2');
    t.match(r.stderr, /is not available on strategy fork \(available: zombie, no-parent-close, child-stall, fd-leak\)/);
  });
}
