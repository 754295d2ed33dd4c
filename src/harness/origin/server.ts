// The harness's own upstream origin (loopback only). Every response echoes the request's token, in the body
// and in a header, so a response delivered to the wrong client (cross-talk) is detectable.
//   GET /t/<token>[?size=N&delay=MS]  → 200, header x-handoff-token: <token>, body "token=<token>\n" (+ padding)
//   /f/<fault>/<token>                → a misbehaving answer (faults.ts)
//   anything else                     → 404
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleFault } from './faults.js';
import { TOKEN_HEADER, tokenBody } from './token.js';
import { startTcpEcho } from './tcp-echo.js';

const MAX_SIZE = 1024 * 1024;
const MAX_DELAY_MS = 10_000;

export interface Origin {
  readonly host: string;
  readonly port: number;
  /** requests answered so far */
  readonly served: number;
  /** TCP echo beside the origin (faults.ts, tcp-echo.ts): the CONNECT destination of tunnels */
  readonly echoPort: number;
  /** Closes idle keep-alive connections (the target's agent sockets), so they do not read as leaks. */
  closeIdle(): void;
  close(): Promise<void>;
}

/**
 * Parses a request-target as this origin sees it, or null. A path starting with `//` is a path here, not an
 * authority (`new URL('//h:x/', base)` would read `h:x` as a host, and throw): whatever the target under test
 * forwards must not take down the harness that runs this origin.
 */
export function requestUrl(target: string | undefined): URL | null {
  const raw = target ?? '/';
  try {
    return raw.startsWith('/') ? new URL(`http://origin${raw}`) : new URL(raw);
  } catch {
    return null;
  }
}

export async function startOrigin(opts: { host?: string } = {}): Promise<Origin> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const busy = new WeakSet<Socket>();
  let served = 0;
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const url = requestUrl(req.url);
    if (!url) {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('bad request-target\n');
      return;
    }
    const m = /^\/t\/([^/]+)$/.exec(url.pathname);
    if (!m) {
      if (handleFault(url, req, res)) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const token = decodeURIComponent(m[1]);
    const size = Math.min(MAX_SIZE, Math.max(0, Number(url.searchParams.get('size') ?? 0) || 0));
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, Number(url.searchParams.get('delay') ?? 0) || 0));
    const socket = req.socket;
    busy.add(socket);
    const answer = (): void => {
      const body = tokenBody(token) + (size > 0 ? 'x'.repeat(size) : '');
      res.writeHead(200, { 'content-type': 'text/plain', [TOKEN_HEADER]: token, 'content-length': Buffer.byteLength(body) });
      res.end(body, () => busy.delete(socket));
      served++;
    };
    if (delay > 0) setTimeout(answer, delay).unref();
    else answer();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const echo = await startTcpEcho(host);
  return {
    host,
    port,
    echoPort: echo.port,
    get served() {
      return served;
    },
    closeIdle() {
      server.closeIdleConnections();
      // closeIdleConnections only knows sockets between requests; also end those never used for one
      for (const s of sockets) if (!busy.has(s) && s.bytesRead === 0) s.destroy();
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await echo.close();
    },
  };
}
