// A few requests through the whole proxy path before a process takes real connections: node:http's parser,
// the forward-proxy code and the http client get compiled (bytecode) once — in the fork zygote before it
// forks anything, in a per-connection spare before it says ready — instead of lazily on a client's time. Loopback only, IP literals only (no dns.lookup: nothing here touches the libuv threadpool),
// and everything it opens is closed before the zygote accepts its first real connection.
import http from 'node:http';
import net from 'node:net';
import { readdirSync, readlinkSync } from 'node:fs';
import type { ForwardProxy } from './forward.js';

// enough rounds for V8 to allocate feedback vectors and baseline-compile the hot path (HANDOFF_FORK_WARMUP_ROUNDS overrides)
const ROUNDS = Number(process.env.HANDOFF_FORK_WARMUP_ROUNDS ?? 200);
const DEADLINE_MS = 3_000;
/** The whole warm-up never delays startup by more than this. */
const BUDGET_MS = 4_000;

/** Sockets only: libuv keeps one /dev/null fd in reserve for EMFILE from the first stream on, for good. */
function socketCount(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // the directory's own fd, already closed
    }
  }
  return n;
}

function listenLoopback(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve((server.address() as net.AddressInfo).port));
  });
}

function oneRequest(proxyPort: number, originPort: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: proxyPort });
    socket.setTimeout(DEADLINE_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.resume();
    socket.end(
      `GET http://127.0.0.1:${originPort}/warm-up HTTP/1.1\r\nHost: 127.0.0.1:${originPort}\r\nConnection: close\r\n\r\n`,
    );
  });
}

/** Best effort: a failure only costs speed, so it is swallowed. `rounds` below the default suits a process that pays it once per connection (a per-connection spare). */
export async function warmUp(proxy: ForwardProxy, rounds = ROUNDS): Promise<void> {
  const fdsBefore = socketCount();
  const origin = http.createServer((_req, res) => res.end('warm\n'));
  const front = net.createServer((socket) => proxy.serveSocket(socket));
  try {
    const originPort = await listenLoopback(origin);
    const proxyPort = await listenLoopback(front);
    const stopAt = Date.now() + BUDGET_MS;
    for (let i = 0; i < rounds && Date.now() < stopAt; i++) await oneRequest(proxyPort, originPort);
  } catch {
    // nothing to do: children will compile lazily
  } finally {
    front.close();
    origin.close();
    origin.closeAllConnections();
    // the proxy's keep-alive agent drops its pooled socket once the origin's FIN arrives
    const deadline = Date.now() + DEADLINE_MS;
    while (socketCount() > fdsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }
}
