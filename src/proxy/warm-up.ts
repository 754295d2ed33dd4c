// A few requests through the whole proxy path before a process takes real connections: node:http's parser,
// the forward-proxy code and the http client get compiled (bytecode) once — in the fork zygote before it forks
// anything and again after each full GC, in a per-connection spare before it says ready — instead of lazily on a
// client's time. Loopback only, IP literals only (no dns.lookup: nothing here touches the libuv threadpool), and
// everything it opens is closed before it resolves (`clean`), so no fork child inherits it.
import http from 'node:http';
import net from 'node:net';
import { readdirSync, readlinkSync } from 'node:fs';
import type { ForwardProxy } from './forward.js';

// Enough rounds for V8 to optimise most of the hot path, which children then inherit: 1000 rounds (about 0.9 s at
// start) left a child about 0.3 ms of CPU and 70 faults cheaper than 200 did. HANDOFF_FORK_WARMUP_ROUNDS overrides.
export const WARM_UP_ROUNDS = Number(process.env.HANDOFF_FORK_WARMUP_ROUNDS ?? 1000);
const DEADLINE_MS = 3_000;
/** A warm-up starts no round after this long (its default; a fork zygote's rehearsal after a GC runs in slices). */
const BUDGET_MS = 4_000;

/**
 * Sockets only: libuv keeps one /dev/null fd in reserve for EMFILE from the first stream on, for good. Infinity
 * when the table cannot be read (EMFILE itself): nothing can be said to be closed.
 */
function socketCount(): number {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  let n = 0;
  for (const fd of fds) {
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

/**
 * The kinds of exchange a real child serves, cycled round by round so the code children inherit is optimised on
 * varied feedback (request methods and headers, response framing, status and header sets) rather than on one
 * shape that the first different origin would deoptimise, in every child. The path names the origin's answer
 * (see ANSWERS). A keep-alive client closes once the whole response is in; no client half-closes before
 * its response: a FIN right after the request takes other paths.
 */
const EXCHANGES: ((origin: string, auth: string) => string)[] = [
  (origin, auth) => `GET http://${origin}/plain HTTP/1.1\r\nHost: ${origin}\r\n${auth}Connection: close\r\n\r\n`,
  (origin, auth) =>
    `GET http://${origin}/moved?keep=1 HTTP/1.1\r\nHost: ${origin}\r\nUser-Agent: handoff-warm-up\r\nAccept: */*\r\n` +
    `Accept-Encoding: gzip, deflate\r\nAccept-Language: en\r\n${auth}Proxy-Connection: Keep-Alive\r\n\r\n`,
  (origin, auth) =>
    `POST http://${origin}/json HTTP/1.1\r\nHost: ${origin}\r\nContent-Type: application/json\r\n` +
    `Content-Length: 2\r\n${auth}Connection: close\r\n\r\n{}`,
  (origin, auth) =>
    `GET http://${origin}/chunked HTTP/1.1\r\nHost: ${origin}\r\nUser-Agent: curl/8\r\nAccept: */*\r\n${auth}Connection: close\r\n\r\n`,
  (origin, auth) =>
    `HEAD http://${origin}/static HTTP/1.1\r\nHost: ${origin}\r\nCache-Control: no-cache\r\n${auth}Connection: close\r\n\r\n`,
  (origin, auth) =>
    `PUT http://${origin}/api?x=1 HTTP/1.1\r\nHost: ${origin}\r\nCookie: a=b\r\nX-Forwarded-For: 127.0.0.1\r\n` +
    `Content-Type: text/plain\r\nContent-Length: 5\r\n${auth}Connection: close\r\n\r\nhello`,
  (origin, auth) =>
    `DELETE http://${origin}/missing HTTP/1.1\r\nHost: ${origin}\r\nAccept: application/json\r\n${auth}Connection: close\r\n\r\n`,
];

/**
 * The rehearsal origin's answers, one header set each. More than four distinct sets on purpose: V8 keeps up to
 * four object shapes per property access and specialises on them, so a fifth shape from a real origin would
 * deoptimise that code in every child; past four the access is megamorphic and takes any origin's headers.
 */
const ANSWERS: Record<string, { status: number; headers: http.OutgoingHttpHeaders; chunked?: boolean }> = {
  '/plain': { status: 200, headers: { 'content-type': 'text/plain' } },
  '/json': {
    status: 201,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'set-cookie': ['s=1; Path=/', 't=2; HttpOnly'],
      etag: '"w"',
    },
  },
  '/chunked': { status: 200, headers: { 'content-type': 'application/octet-stream' }, chunked: true },
  '/missing': { status: 404, headers: { 'content-type': 'text/html', 'x-request-id': 'w' } },
  '/moved': { status: 302, headers: { location: '/plain', 'content-type': 'text/plain', server: 'warm' } },
  '/static': {
    status: 200,
    headers: {
      'content-type': 'text/css',
      'last-modified': 'Wed, 25 Nov 2026 00:00:00 GMT',
      vary: 'Accept-Encoding',
      'accept-ranges': 'bytes',
    },
  },
  '/api': { status: 200, headers: { 'content-type': 'application/json', 'x-powered-by': 'warm', 'access-control-allow-origin': '*' } },
};

function rehearsalOrigin(): http.Server {
  return http.createServer((req, res) => {
    req.resume();
    const answer = ANSWERS[(req.url ?? '/').split('?')[0]!] ?? ANSWERS['/plain']!;
    res.writeHead(answer.status, answer.chunked ? answer.headers : { ...answer.headers, 'content-length': 5 });
    if (answer.chunked) res.write('wa');
    res.end(answer.chunked ? 'rm\n' : 'warm\n');
  });
}

function oneExchange(round: number, proxyPort: number, originPort: number, auth: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: proxyPort });
    socket.setTimeout(DEADLINE_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.setNoDelay(true);
    // the keep-alive exchange: the client closes once the whole response (body "warm\n") is in
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('latin1')).slice(-8);
      if (seen.endsWith('warm\n')) socket.end();
    });
    socket.write(EXCHANGES[round % EXCHANGES.length]!(`127.0.0.1:${originPort}`, auth));
  });
}

function releasedAtOnce(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(DEADLINE_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.resume();
  });
}

export interface WarmUpOptions {
  /** requests to run; below the default suits a process that pays it once per connection (a spare) */
  rounds?: number;
  /**
   * Accept and prepare each socket exactly as real connections will be (same server options, same own
   * properties and listeners): V8's optimised code is specialised on object shapes, so a warm-up socket of a
   * different shape leaves code that deoptimises on the first real connection — in a fork child, every time.
   */
  pauseOnConnect?: boolean;
  adopt?: (socket: net.Socket) => void;
  /**
   * Also rehearse the fork zygote's own per-connection path: accept (paused) and destroy its copy at once. It
   * runs for every connection on the zygote's time, before the next accept.
   */
  rehearseRelease?: boolean;
  /** "user:pass" when the proxy demands Basic auth: without it every rehearsal would stop at the 407 */
  auth?: string | null;
  /** stop starting rounds after this long (default BUDGET_MS) */
  budgetMs?: number;
  /** the index of the first round: a warm-up in slices goes on through the kinds of exchange where it stopped */
  firstRound?: number;
}

export interface WarmUpResult {
  rounds: number;
  /** every socket it opened is closed again (within DEADLINE_MS): a fork now inherits none of them */
  clean: boolean;
}

/** Best effort: a failure only costs speed, so it is swallowed. */
export async function warmUp(proxy: ForwardProxy, options: WarmUpOptions = {}): Promise<WarmUpResult> {
  const rounds = options.rounds ?? WARM_UP_ROUNDS;
  const first = options.firstRound ?? 0;
  let done = 0;
  let clean = false;
  const auth = options.auth ? `Proxy-Authorization: Basic ${Buffer.from(options.auth).toString('base64')}\r\n` : '';
  const fdsBefore = socketCount();
  const origin = rehearsalOrigin();
  // A listener per round, closed as soon as it accepted: a fork child closes its copy of the zygote's listener
  // before serving, so the rehearsed socket must belong to a closed server too (its destroy path differs).
  const frontOnce = async (): Promise<{ server: net.Server; port: number }> => {
    const server = net.createServer({ pauseOnConnect: options.pauseOnConnect ?? false }, (socket) => {
      server.close();
      options.adopt?.(socket);
      proxy.serveSocket(socket);
    });
    return { server, port: await listenLoopback(server) };
  };
  let front: net.Server | null = null;
  const release = net.createServer({ pauseOnConnect: true }, (socket) => socket.destroy());
  try {
    const originPort = await listenLoopback(origin);
    const releasePort = options.rehearseRelease ? await listenLoopback(release) : 0;
    const idle = socketCount();
    const stopAt = Date.now() + (options.budgetMs ?? BUDGET_MS);
    for (let i = 0; i < rounds && Date.now() < stopAt; i++, done++) {
      const once = await frontOnce();
      front = once.server;
      await oneExchange(first + i, once.port, originPort, auth);
      if (releasePort) await releasedAtOnce(releasePort);
      // A child that serves one connection never has a pooled origin socket: it always connects afresh and
      // parks the keep-alive socket once. Drop the pooled socket between rounds so that path is the one rehearsed.
      origin.closeIdleConnections();
      while (socketCount() > idle && Date.now() < stopAt) await new Promise((r) => setImmediate(r));
    }
  } catch {
    // nothing to do: children will compile lazily
  } finally {
    release.close();
    front?.close();
    origin.close();
    origin.closeAllConnections();
    // the proxy's keep-alive agent drops its pooled socket once the origin's FIN arrives
    const deadline = Date.now() + DEADLINE_MS;
    let open = socketCount();
    while (open > fdsBefore && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      open = socketCount();
    }
    clean = Number.isFinite(fdsBefore) && open <= fdsBefore;
  }
  return { rounds: done, clean };
}
