// The flood against a classic fork-per-connection server: it answers `Connection: close` and close()s at once.
// autocannon alone writes its next request on that connection and the close() resets it: the errors were
// charged to a clean server. The flood must reconnect instead, as RFC 9112 §9.6 requires of a client.
// And against a server that ends a persistent connection after each answer without saying so (RFC 9112 §9.3,
// tinyproxy): autocannon alone matched every later answer to an ever older request (latencies of seconds).
import { EventEmitter } from 'node:events';
import t, { type Test } from 'tap';
import { forgetRequestsOfEndedConnections, type AutocannonClient } from '../../src/harness/load/flood.js';
import { createGenerator } from '../../src/harness/load/index.js';
import { fakeServer, type FakeServer } from '../helpers/fake-server.js';
import { startOrigin } from '../../src/harness/origin/server.js';
import { loadContext } from './helpers.js';

/** Answers one request per connection with Connection: close, echoing the path, then close()s straight away. */
function closingServer(): Promise<FakeServer> {
  return fakeServer((s) => {
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const path = /^GET (\S+)/.exec(head)?.[1] ?? '/';
      // like a C child: write the answer, read nothing more, close() (no shutdown). Whatever the client sent
      // meanwhile is unread, so the kernel resets the connection instead of ending it.
      s.removeAllListeners('data');
      s.pause();
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\nConnection: close\r\n\r\n${path}`);
      setTimeout(() => s.destroy(), 20);
    });
  });
}

/** A flood of `durationMs` against a fresh closing server, with the harness's origin beside it. */
async function floodClosing(t: Test, durationMs: number, connections: number) {
  const server = await closingServer();
  const origin = await startOrigin();
  t.teardown(async () => {
    await server.close();
    await origin.close();
  });
  const flood = createGenerator({ generator: 'flood' }, { durationMs, connections }, 0);
  return { server, out: await flood.run(loadContext({ host: '127.0.0.1', port: server.port }, origin, { mode: 'server' })) };
}

t.test('flood honours Connection: close: a new connection per answer, no reset charged to the server', async (t) => {
  const { server, out } = await floodClosing(t, 1_500, 4);
  t.ok(out.stats.requests > 50, `requests answered (${out.stats.requests})`);
  t.equal(out.stats.errors, 0, `no connection errors (${JSON.stringify(out.incidents.slice(0, 2))})`);
  t.equal(out.stats.timeouts, 0);
  t.equal(out.counts['missing-token'] ?? 0, 0, 'every echoed token checked out');
  t.ok(out.tokensChecked > 50, `tokens checked (${out.tokensChecked})`);
  t.ok(server.connections() >= out.stats.requests, 'one connection per answered request');
  // without reconnecting, every other request went out on a closing connection and was never answered (and
  // the close() reset some connections: errors the harness charged to the server)
  const sent = (out.stats.extra as { sent: number }).sent;
  t.ok(
    sent - out.stats.requests <= 4,
    `every request sent was answered but those in flight at the end (${sent} sent, ${out.stats.requests} answered)`,
  );
});

t.test("a short flood ends at its duration, not at autocannon's next one-second sample", async (t) => {
  const { out } = await floodClosing(t, 100, 2);
  t.ok(out.stats.requests > 0, 'it ran');
  t.ok(out.stats.durationMs < 900, `took ${out.stats.durationMs} ms for 100 (autocannon alone: about 1000)`);
});

/** Answers each request on a keep-alive-looking response (HTTP/1.1, no Connection: close), then ends the connection. */
function silentlyClosingServer(): Promise<FakeServer> {
  return fakeServer((s) => {
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.removeAllListeners('data');
      const path = /^GET (\S+)/.exec(head)?.[1] ?? '/';
      s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n\r\n${path}`);
    });
  });
}

t.test('a connection ended without notice: its unanswered request is forgotten, latencies stay per request', async (t) => {
  const server = await silentlyClosingServer();
  const origin = await startOrigin();
  t.teardown(async () => {
    await server.close();
    await origin.close();
  });
  const flood = createGenerator({ generator: 'flood' }, { durationMs: 2_000, connections: 4 }, 0);
  const out = await flood.run(loadContext({ host: '127.0.0.1', port: server.port }, origin, { mode: 'server' }));
  t.ok(out.stats.requests > 100, `requests answered (${out.stats.requests})`);
  t.same([out.stats.errors, out.stats.timeouts, out.counts], [0, 0, {}], 'no errors, every echoed token right');
  // matched to ever older requests, the p50 was about a quarter of the run (470 ms of 2 s); each answer here is
  // one loopback round trip
  t.ok(out.stats.latencyMs.p50 < 200, `p50 ${out.stats.latencyMs.p50} ms is one exchange, not the age of a stale request`);
});

t.test('forgetRequestsOfEndedConnections clears the queue on end and on error, of every connection', async (t) => {
  let cleared = 0;
  const conns: EventEmitter[] = [];
  const order: string[] = [];
  const fake: { conn: EventEmitter; pipelinedRequests: { clear(): void }; _connect(): void } = {
    conn: new EventEmitter(),
    pipelinedRequests: { clear: () => void cleared++ },
    _connect() {
      fake.conn = new EventEmitter();
      conns.push(fake.conn);
    },
  };
  const client = fake as unknown as AutocannonClient & { conn: EventEmitter };
  // autocannon's own listener (reconnects, queues the next request) was there first; ours must run before it
  client.conn.on('end', () => order.push(`autocannon saw end after ${cleared} clear(s)`));
  forgetRequestsOfEndedConnections(client);
  client.conn.emit('end');
  t.same(order, ['autocannon saw end after 1 clear(s)'], 'cleared before autocannon reconnects');
  client._connect();
  client._connect();
  conns[0].emit('error', new Error('ECONNRESET'));
  conns[1].emit('end');
  t.equal(cleared, 3, 'every new connection is watched, for end and for error');
});
