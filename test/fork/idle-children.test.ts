// A fork child that waits (a keep-alive client between requests, a quiet tunnel) must cost no CPU. It once spun:
// the child closed libuv's SIGCHLD handle inherited from the zygote, and a handle closed with a signal caught in
// the zygote but not yet dispatched is re-queued for closing on every loop turn (libuv's uv__finish_close). Under
// churn (children exiting, so SIGCHLD arriving all the time) more than half of the long-lived children spun.
import t from 'tap';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startOrigin } from '../helpers/origin.js';
import { startProxy, pollUntil, type ProxyProcess } from '../helpers/proxy-process.js';
import { forkUnavailableReason } from './addon-available.js';
import { childrenOf } from '../strategies/proc.js';

const HELD = 16;
const CHURNERS = 6;
/** all held children together, over one second at rest: a single spinning child takes tens of ticks */
const MAX_TICKS_AT_REST = 20;

/** utime + stime in clock ticks (1/100 s); 0 for a process that is gone */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

const unavailable = forkUnavailableReason();
if (unavailable) {
  t.plan(0, unavailable);
} else {
  const origin = await startOrigin();
  const proxies: ProxyProcess[] = [];
  t.teardown(async () => {
    for (const p of proxies) p.killGroup();
    await origin.close();
  });
  const host = `127.0.0.1:${origin.port}`;

  for (const args of [[], ['--spares', '2']]) {
    await t.test(`fork ${args.join(' ') || '(no spares)'}: children waiting on a keep-alive client use no CPU`, async (t) => {
      const proxy = await startProxy('fork', args, 30_000);
      proxies.push(proxy);
      const sockets: net.Socket[] = [];
      t.teardown(() => {
        for (const s of sockets) s.destroy();
      });
      // churn: children exit all the time, so SIGCHLD keeps arriving while the held children are forked
      let churning = true;
      const churn = async (): Promise<void> => {
        while (churning) {
          await new Promise<void>((resolve) => {
            const s = net.connect(proxy.port, '127.0.0.1', () =>
              s.write(`GET http://${host}/churn HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
            );
            s.resume();
            s.on('close', () => resolve());
            s.on('error', () => undefined);
          });
        }
      };
      const churners = Array.from({ length: CHURNERS }, churn);
      for (let i = 0; i < HELD; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const s = net.connect(proxy.port, '127.0.0.1');
        sockets.push(s);
        s.on('error', () => undefined);
        await new Promise<void>((resolve) => {
          s.once('data', () => resolve());
          s.write(`GET http://${host}/held/${i} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
        });
      }
      churning = false;
      await Promise.all(churners);
      const spares = args.length ? 2 : 0;
      t.ok(
        await pollUntil(() => childrenOf(proxy.pid).length === HELD + spares, 10_000),
        `${HELD} held children (+ ${spares} spares) left`,
      );
      const children = childrenOf(proxy.pid).map((c) => c.pid);
      const before = children.map(cpuTicks);
      await new Promise((r) => setTimeout(r, 1_000));
      const used = children.map((pid, i) => cpuTicks(pid) - before[i]!);
      const total = used.reduce((a, b) => a + b, 0);
      t.ok(total <= MAX_TICKS_AT_REST, `children at rest used ${total} ticks in 1 s (per child: ${used.join(' ')})`);
      for (const s of sockets) s.destroy();
      t.ok(await pollUntil(() => childrenOf(proxy.pid).length === spares, 10_000), 'held children exit with their clients');
    });
  }
}
