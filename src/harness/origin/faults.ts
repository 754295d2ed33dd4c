// Misbehaving answers of the harness's origin, so a proxy meets what real upstreams do:
//   GET /f/slow/<token>?ms=N          200, head at once, body dribbled over N ms        → proxy: 200, whole body
//   GET /f/hang/<token>               never answers (bounded by HANG_MS)                  → proxy: 504 (upstream timeout)
//   GET /f/reset-head/<token>         RST before any byte of a response                   → proxy: 502
//   GET /f/reset-body/<token>?size=N  200 with Content-Length, half the body, then RST    → proxy: 200 cut short (close)
//   GET /f/huge/<token>?size=N        200 with an N-byte body streamed with backpressure  → proxy: 200, all N bytes
//   GET /f/chunked/<token>?chunks=N&gap=MS   200 chunked, N chunks MS apart              → proxy: 200, whole body
// Refused connections need no route: a request naming a closed port is the fault (see closedPort()).
// Every body starts with tokenBody(token) so cross-talk stays detectable.
import type http from 'node:http';
import net from 'node:net';
import { TOKEN_HEADER, tokenBody } from './token.js';

export const FAULT_KINDS = ['slow', 'hang', 'reset-head', 'reset-body', 'huge', 'chunked'] as const;
export type OriginFault = (typeof FAULT_KINDS)[number];

const MAX_SIZE = 64 * 1024 * 1024;
const MAX_SLOW_MS = 10_000;
const MAX_CHUNKS = 1_000;
const MAX_GAP_MS = 1_000;
/** a hung request is dropped after this, whether or not anyone gave up on it */
const HANG_MS = 60_000;

export function faultPath(kind: OriginFault, token: string, query: Record<string, number> = {}): string {
  const q = Object.entries(query)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `/f/${kind}/${encodeURIComponent(token)}${q ? `?${q}` : ''}`;
}

const num = (url: URL, key: string, fallback: number, max: number): number => {
  const v = Number(url.searchParams.get(key) ?? fallback);
  return Number.isFinite(v) ? Math.min(max, Math.max(0, Math.floor(v))) : fallback;
};

/** Writes `size` bytes of padding after the token line, respecting backpressure. */
function streamBody(res: http.ServerResponse, head: string, size: number, done: () => void): void {
  const block = Buffer.alloc(64 * 1024, 'x');
  let left = size;
  res.write(head);
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, block.length);
      left -= n;
      if (!res.write(n === block.length ? block : block.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    done();
  };
  res.on('close', () => (left = 0));
  pump();
}

/** Answers a /f/… request and returns true, or returns false for any other path. */
export function handleFault(url: URL, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const m = /^\/f\/([a-z-]+)\/([^/]+)$/.exec(url.pathname);
  if (!m || !(FAULT_KINDS as readonly string[]).includes(m[1])) return false;
  const kind = m[1] as OriginFault;
  const token = decodeURIComponent(m[2]);
  const head = tokenBody(token);
  const socket = req.socket;
  switch (kind) {
    case 'slow': {
      const ms = num(url, 'ms', 500, MAX_SLOW_MS);
      const pieces = 5;
      const body = head + 'slow\n'.repeat(pieces);
      res.writeHead(200, { 'content-type': 'text/plain', [TOKEN_HEADER]: token, 'content-length': Buffer.byteLength(body) });
      res.write(head);
      let i = 0;
      const timer = setInterval(() => {
        res.write('slow\n');
        if (++i === pieces) {
          clearInterval(timer);
          res.end();
        }
      }, ms / pieces);
      res.on('close', () => clearInterval(timer));
      return true;
    }
    case 'hang': {
      const timer = setTimeout(() => socket.destroy(), HANG_MS);
      timer.unref();
      res.on('close', () => clearTimeout(timer));
      return true;
    }
    case 'reset-head':
      resetSocket(socket);
      return true;
    case 'reset-body': {
      const size = Math.max(2, num(url, 'size', 64 * 1024, MAX_SIZE));
      res.writeHead(200, { 'content-type': 'text/plain', [TOKEN_HEADER]: token, 'content-length': Buffer.byteLength(head) + size });
      res.write(head);
      res.write(Buffer.alloc(Math.floor(size / 2), 'x'), () => setTimeout(() => resetSocket(socket), 20));
      return true;
    }
    case 'huge': {
      const size = num(url, 'size', 8 * 1024 * 1024, MAX_SIZE);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        [TOKEN_HEADER]: token,
        'content-length': Buffer.byteLength(head) + size,
      });
      streamBody(res, head, size, () => res.end());
      return true;
    }
    case 'chunked': {
      const chunks = Math.max(1, num(url, 'chunks', 16, MAX_CHUNKS));
      const gap = num(url, 'gap', 5, MAX_GAP_MS);
      // no Content-Length: node frames the body as chunked
      res.writeHead(200, { 'content-type': 'text/plain', [TOKEN_HEADER]: token });
      res.write(head);
      let i = 0;
      const next = (): void => {
        if (res.destroyed) return;
        if (i++ === chunks) {
          res.end();
          return;
        }
        res.write(`chunk ${i}\n`);
        setTimeout(next, gap);
      };
      next();
      return true;
    }
  }
}

/** Expected body length of a fault answer, for the client's verification (null: not fixed). */
export function faultBodyLength(kind: OriginFault, token: string, query: Record<string, number>): number | null {
  const head = Buffer.byteLength(tokenBody(token));
  if (kind === 'slow') return head + 'slow\n'.length * 5;
  if (kind === 'huge') return head + (query.size ?? 8 * 1024 * 1024);
  if (kind === 'chunked') {
    let n = head;
    for (let i = 1; i <= (query.chunks ?? 16); i++) n += `chunk ${i}\n`.length;
    return n;
  }
  return null;
}

function resetSocket(socket: net.Socket): void {
  // RST rather than FIN: the abrupt failure real upstreams produce
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/** A loopback port nobody listens on (bound, then released): connecting to it is refused. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
