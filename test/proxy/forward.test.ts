// forward.ts in-process, the way process strategies use it: a server that never listens, fed sockets
// through serveSocket() by a "master" listener; plus its hooks, connection count and close(graceMs).
import t from 'tap';
import net from 'node:net';
import { createForwardProxy, type ForwardProxy } from '../../src/proxy/forward.js';
import { DEFAULT_PROXY_OPTIONS, type ProxyOptions } from '../../src/proxy/options.js';
import { startOrigin, startTcpOrigins } from '../helpers/origin.js';
import { connect, readAll, readResponse, waitForEnd } from '../helpers/raw-http.js';
import { pollUntil } from '../helpers/proxy-process.js';

const origin = await startOrigin();
const tcp = await startTcpOrigins();
t.teardown(async () => {
  await origin.close();
  await tcp.close();
});

/** A master that accepts paused sockets without half-open support (as a handed-over socket may be). */
// a destination that ignores EOF and never closes: only the proxy's half-close bound can end such a tunnel
const silentSockets = new Set<net.Socket>();
const silent = net.createServer({ allowHalfOpen: true }, (s) => {
  silentSockets.add(s);
  s.on('error', () => {});
  s.resume(); // reads (so it notices EOF) but never answers and never closes
  s.once('close', () => silentSockets.delete(s));
});
await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
const silentPort = (silent.address() as net.AddressInfo).port;
t.teardown(() => {
  for (const s of silentSockets) s.destroy();
  silent.close();
});

// a destination that writes a byte every 100 ms and never reads: a download-only tunnel
const tickerSockets = new Set<net.Socket>();
const ticker = net.createServer((s) => {
  tickerSockets.add(s);
  s.on('error', () => {});
  const every = setInterval(() => s.write('.'), 100);
  s.once('close', () => {
    clearInterval(every);
    tickerSockets.delete(s);
  });
});
await new Promise<void>((r) => ticker.listen(0, '127.0.0.1', r));
const tickerPort = (ticker.address() as net.AddressInfo).port;
t.teardown(() => {
  for (const s of tickerSockets) s.destroy();
  ticker.close();
});

async function withMaster(
  options: Partial<ProxyOptions>,
  fn: (port: number, proxy: ForwardProxy, upstreams: net.Socket[]) => Promise<void>,
): Promise<void> {
  const upstreams: net.Socket[] = [];
  const proxy = createForwardProxy(
    { ...DEFAULT_PROXY_OPTIONS, connectPorts: [tcp.echoPort, tcp.speakFirstPort, silentPort, tickerPort], ...options },
    { onUpstreamSocket: (s) => upstreams.push(s) },
  );
  const master = net.createServer({ pauseOnConnect: true, allowHalfOpen: false }, (s) => proxy.serveSocket(s));
  await new Promise<void>((r) => master.listen(0, '127.0.0.1', r));
  try {
    await fn((master.address() as net.AddressInfo).port, proxy, upstreams);
  } finally {
    master.close();
    await proxy.close(0);
  }
}

const get = (path: string): string => `GET http://127.0.0.1:${origin.port}${path} HTTP/1.1\r\nHost: a\r\n\r\n`;

t.test('serveSocket: a never-listening server serves handed-over sockets, keep-alive included', async (t) => {
  await withMaster({}, async (port, proxy) => {
    const s = await connect(port);
    s.write(get('/one'));
    t.equal((await readResponse(s)).status, 200, 'first request');
    s.write(get('/two'));
    t.equal((await readResponse(s)).status, 200, 'second request on the same connection');
    t.equal(proxy.connections(), 1, 'one client connection counted');
    s.end();
    t.ok(await pollUntil(() => proxy.connections() === 0, 5_000), 'count back to 0 after the client left');
    s.destroy();
  });
});

t.test('serveSocket: the headers timeout also bounds slow clients when the server never listens', async (t) => {
  await withMaster({ headersTimeoutMs: 500 }, async (port) => {
    const s = await connect(port);
    s.write('GET http://127.0.0.1/ HTTP/1.1\r\nHost: a\r\n');
    const ms = await waitForEnd(s, 10_000);
    t.pass(`slow client disconnected after ${ms} ms`);
    s.destroy();
  });
});

t.test('serveSocket: CONNECT half-close works on a socket created without allowHalfOpen', async (t) => {
  await withMaster({}, async (port) => {
    const s = await connect(port);
    s.write(`CONNECT 127.0.0.1:${tcp.echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal((await readResponse(s, 10_000, { noBody: true })).status, 200, 'established');
    const all = readAll(s);
    s.end('abc');
    t.equal(await all, 'abc[eof]', 'FIN forwarded, the answer after it still delivered');
    s.destroy();
  });
});

t.test('onUpstreamSocket sees every upstream socket; close() destroys tunnels and pooled sockets', async (t) => {
  await withMaster({}, async (port, proxy, upstreams) => {
    const s = await connect(port);
    s.write(get('/pooled'));
    t.equal((await readResponse(s)).status, 200, 'request served');
    const tunnel = await connect(port);
    tunnel.write(`CONNECT 127.0.0.1:${tcp.echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal((await readResponse(tunnel, 10_000, { noBody: true })).status, 200, 'tunnel up');
    t.equal(upstreams.length, 2, 'hook saw the origin socket and the tunnel socket');
    await proxy.close(200);
    t.ok(
      upstreams.every((u) => u.destroyed),
      'every upstream socket destroyed',
    );
    await waitForEnd(tunnel, 5_000);
    await waitForEnd(s, 5_000);
    t.equal(proxy.connections(), 0, 'no client connection left');
    s.destroy();
    tunnel.destroy();
  });
});

t.test('close(grace): a request in flight finishes; one slower than the grace is cut', async (t) => {
  await withMaster({}, async (port, proxy) => {
    const quick = await connect(port);
    const slow = await connect(port);
    const arrived = Promise.all([origin.nextRequest(), origin.nextRequest()]);
    quick.write(get('/q?delay=300'));
    slow.write(get('/s?delay=8000'));
    await arrived;
    const quickRes = readResponse(quick, 10_000);
    const slowRes = readResponse(slow, 10_000).then(
      (r) => `status ${r.status}`,
      (e: Error) => `cut: ${e.message}`,
    );
    await proxy.close(1_500);
    t.equal((await quickRes).status, 200, 'in-flight request within the grace completed');
    t.match(await slowRes, /^cut/, 'request beyond the grace was cut, not answered');
    quick.destroy();
    slow.destroy();
  });
});

t.test('a half-closed tunnel to a peer that never closes is ended after --upstream-timeout of silence', async (t) => {
  await withMaster({ upstreamTimeoutMs: 500 }, async (port, proxy, upstreams) => {
    const s = await connect(port);
    s.write(`CONNECT 127.0.0.1:${silentPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal((await readResponse(s, 10_000, { noBody: true })).status, 200, 'established');
    s.end(); // half-close, then stay silent (a client that vanished would look the same)
    const ms = await waitForEnd(s, 10_000);
    t.pass(`client side ended after ${ms} ms`);
    t.ok(await pollUntil(() => upstreams.every((u) => u.destroyed), 5_000), 'upstream socket destroyed');
    t.ok(await pollUntil(() => proxy.connections() === 0, 5_000), 'client connection gone');
    t.ok(await pollUntil(() => [...silentSockets].every((d) => d.readableEnded), 5_000), 'the destination got the FIN');
    s.destroy();
  });
});

t.test('a CONNECT tunnel idle in both directions is closed after --tunnel-idle-timeout; traffic either way keeps it', async (t) => {
  // generous: client, proxy and destination share this process, and a stall of the whole process looks like
  // silence to the proxy's idle timer (a 400 ms limit with 100 ms gaps failed under a 350 ms stall)
  const IDLE_MS = 1_000;
  const tunnelTo = async (port: number, destPort: number): Promise<net.Socket> => {
    const s = await connect(port);
    s.write(`CONNECT 127.0.0.1:${destPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal((await readResponse(s, 10_000, { noBody: true })).status, 200, 'established');
    s.resume(); // readResponse leaves it paused: a 'data' listener alone would not start the flow
    return s;
  };
  const stillOpen = (s: net.Socket): boolean => !s.destroyed && !s.readableEnded;
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  await withMaster({ tunnelIdleTimeoutMs: IDLE_MS }, async (port, proxy, upstreams) => {
    await t.test('idle: closed, the destination side too', async (t) => {
      const s = await tunnelTo(port, tcp.echoPort);
      const echoed = new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString())));
      s.write('ping');
      t.equal(await echoed, 'ping', 'bytes pass both ways');
      const ms = await waitForEnd(s, 10_000);
      // the proxy's timer started before the echo reached us: the stopwatch here can only under-read
      t.ok(ms >= IDLE_MS - 300, `closed after ${ms} ms of silence, not before the limit`);
      t.ok(await pollUntil(() => upstreams.every((u) => u.destroyed), 5_000), 'destination socket destroyed');
      t.ok(await pollUntil(() => proxy.connections() === 0, 5_000), 'client connection gone');
      s.destroy();
    });

    await t.test('upload only (the destination never answers): kept open while bytes flow', async (t) => {
      const s = await tunnelTo(port, silentPort);
      for (let i = 0; i < 15; i++) {
        s.write('u');
        await sleep(IDLE_MS / 5);
      }
      t.ok(stillOpen(s), `open after ${15 * (IDLE_MS / 5)} ms of client-to-destination traffic`);
      t.ok((await waitForEnd(s, 10_000)) >= 0, 'closed once the client stopped');
      s.destroy();
    });

    await t.test('download only (the client never writes): kept open while bytes flow', async (t) => {
      const s = await tunnelTo(port, tickerPort);
      let got = 0;
      s.on('data', (d: Buffer) => (got += d.length));
      await sleep(IDLE_MS * 3);
      t.ok(stillOpen(s), `open after ${IDLE_MS * 3} ms, ${got} bytes from the destination`);
      t.ok(got >= 5, 'the destination kept sending');
      s.destroy();
    });
  });
});
