// Hostile clients against every strategy, as real `handoff serve` processes (issue 19): a connection's pipelined
// requests are forwarded at most PIPELINE_BOUND at a time and answered in order, reading pauses beyond it (memory
// stays flat), and a client that leaves cancels what it queued: the origin gets no more of them, and the
// in-flight count goes back, so a later SIGTERM is not held for the whole grace. Reading is paused while requests
// wait, so the proxy learns that the client left when it writes the first answer (as t_cancel.py shows it).
import http from 'node:http';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { connect, readResponse } from '../helpers/raw-http.js';
import { startProxy, pollUntil } from '../helpers/proxy-process.js';
import { PIPELINE_BOUND } from '../../src/proxy/pipeline.js';
import { STRATEGIES } from '../../src/proxy/options.js';

/** An origin that answers /fast/* at once, /slow/* after SLOW_MS, and holds /hold/* until the proxy gives up. */
const SLOW_MS = 800;

async function holdingOrigin() {
  let received = 0;
  const server = http.createServer((req, res) => {
    received++;
    if (req.url?.startsWith('/slow')) {
      setTimeout(() => res.writeHead(200, { 'content-length': 2 }).end('ok'), SLOW_MS);
      return;
    }
    if (req.url?.startsWith('/hold')) return; // never answered
    res.writeHead(200, { 'content-length': Buffer.byteLength(req.url ?? '') }).end(req.url);
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    reset: () => {
      received = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const origin = await holdingOrigin();
t.teardown(() => origin.close());
const get = (path: string): string => `GET http://127.0.0.1:${origin.port}${path} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n\r\n`;

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

for (const strategy of STRATEGIES) {
  t.test(`${strategy}: pipelining is bounded, answered in order, and cancelled when the client leaves`, async (t) => {
    const proxy = await startProxy(strategy, ['--shutdown-grace', '5s']);
    t.teardown(() => proxy.killGroup());
    origin.reset();

    // 30 quick ones: every answer, in order (the bound must not stall or reorder them)
    const quick = await connect(proxy.port);
    quick.write(Array.from({ length: 30 }, (_, i) => get(`/fast/${i}`)).join(''));
    const bodies: string[] = [];
    for (let i = 0; i < 30; i++) bodies.push((await readResponse(quick, 10_000)).body);
    t.same(
      bodies,
      Array.from({ length: 30 }, (_, i) => `/fast/${i}`),
      'all 30 answered, in order',
    );
    quick.destroy();

    // 200 that the origin takes its time with: only the bound reaches it
    origin.reset();
    const greedy = await connect(proxy.port);
    greedy.write(Array.from({ length: 200 }, (_, i) => get(`/slow/${i}`)).join(''));
    t.ok(await pollUntil(() => origin.received() >= PIPELINE_BOUND, 5_000), 'the first requests reach the origin');
    await new Promise((r) => setTimeout(r, 300));
    t.equal(origin.received(), PIPELINE_BOUND, `the origin has ${PIPELINE_BOUND} of the 200, not all`);

    // the client leaves before any answer. The proxy reads no more from it meanwhile, so it learns of the departure
    // when an answer finds the connection gone; a request started in that gap may still go out, nothing after it
    greedy.destroy();
    await new Promise((r) => setTimeout(r, SLOW_MS + 700));
    const afterLeaving = origin.received();
    t.ok(afterLeaving <= 2 * PIPELINE_BOUND, `the origin got ${afterLeaving} of the 200 once the client had left`);
    await new Promise((r) => setTimeout(r, SLOW_MS + 300));
    t.equal(origin.received(), afterLeaving, 'and no more after that: the rest were cancelled');

    // nothing is in flight any more: SIGTERM is fast, not the 5 s grace
    const t0 = Date.now();
    process.kill(proxy.pid, 'SIGTERM');
    const exit = await proxy.exited;
    const tookMs = Date.now() - t0;
    t.equal(exit.code, 0);
    t.ok(tookMs < 2_500, `exited ${tookMs} ms after SIGTERM (grace 5 s)`);
  });
}

t.test('inline: 4 MiB of pipelined requests do not grow the proxy beyond a read buffer or two', async (t) => {
  const proxy = await startProxy('inline', []);
  t.teardown(() => proxy.killGroup());
  origin.reset();
  const before = rssMiB(proxy.pid);
  const s = await connect(proxy.port);
  t.teardown(() => s.destroy());
  const one = get('/hold/x');
  const payload = one.repeat(Math.ceil((4 * 1024 * 1024) / one.length));
  s.write(payload);
  await new Promise((r) => setTimeout(r, 2_000));
  const growth = rssMiB(proxy.pid) - before;
  t.equal(origin.received(), PIPELINE_BOUND, 'the origin got the bound only');
  t.ok(growth < 48, `RSS grew ${growth.toFixed(1)} MiB for 4 MiB of pipelined requests`);
});
