// Drives the harness's own load generators (flood = autocannon keep-alive, churn = one request per
// connection) from the benchmarks, and measures single requests for the latency microbenchmark.
import net from 'node:net';
import { ChurnGenerator } from '../../src/harness/load/churn.js';
import { FloodGenerator } from '../../src/harness/load/flood.js';
import type { Endpoint, LoadContext, LoadOutcome } from '../../src/harness/load/generator.js';

export interface LoadCell {
  kind: 'keepalive' | 'churn';
  connections: number;
  durationMs: number;
  /** churn only: new connections per second overall (0 = as fast as it goes) */
  rate?: number;
}

export interface CellResult {
  /** completed requests (keep-alive) or connections (churn) per second */
  perSecond: number;
  requests: number;
  errors: number;
  timeouts: number;
  /** wrong or missing token, unexpected status, no EOF: anything but a clean answer */
  incidents: number;
  p50Ms: number;
  p99Ms: number;
  durationMs: number;
}

function context(mode: 'proxy' | 'server', target: Endpoint, origin: Endpoint | null, signal: AbortSignal): LoadContext {
  let seq = 0;
  const started = performance.now();
  return {
    mode,
    target,
    origin: origin ?? target,
    checkTokens: mode === 'proxy',
    expectStatus: (s) => s === 200,
    clock: () => performance.now() - started,
    signal,
    nextToken: (g) => `${g}-${++seq}`,
  };
}

function summarize(outcome: LoadOutcome): CellResult {
  const s = outcome.stats;
  const counts = outcome.counts;
  const incidents = Object.entries(counts)
    .filter(([k]) => k !== 'error' && k !== 'timeout')
    .reduce((a, [, n]) => a + (n ?? 0), 0);
  return {
    perSecond: Math.round((s.requests / Math.max(1, s.durationMs)) * 1000 * 10) / 10,
    requests: s.requests,
    errors: s.errors,
    timeouts: s.timeouts,
    incidents,
    // no completed request: no latency either (not 0 ms)
    p50Ms: s.requests > 0 ? s.latencyMs.p50 : Number.NaN,
    p99Ms: s.requests > 0 ? s.latencyMs.p99 : Number.NaN,
    durationMs: s.durationMs,
  };
}

/**
 * One cell of load: through a proxy to the origin (tokens checked), or straight at a server (origin = null).
 * The abort signal bounds it from outside; the generators bound themselves in time as well.
 */
export async function runCell(cell: LoadCell, target: Endpoint, origin: Endpoint | null, signal: AbortSignal): Promise<CellResult> {
  const ctx = context(origin ? 'proxy' : 'server', target, origin, signal);
  const generator =
    cell.kind === 'keepalive'
      ? new FloodGenerator('flood', { durationMs: cell.durationMs, connections: cell.connections, size: 0, timeoutMs: 5_000 })
      : new ChurnGenerator('churn', {
          durationMs: cell.durationMs,
          connections: cell.connections,
          rate: cell.rate ?? 0,
          eofBoundMs: 1_000,
          timeoutMs: 5_000,
        });
  return summarize(await generator.run(ctx));
}

/**
 * One fresh connection, one minimal request, time until the first response byte (ms). The request is in
 * origin form, which a forward proxy answers itself (400) without an upstream: what is left is accept →
 * whoever ends up owning the socket (the master, a spare, a new child, a worker) → parse → first byte.
 */
export function firstByteMs(target: Endpoint, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write('GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n'));
    socket.once('data', () => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      socket.destroy();
      resolve(ms);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}
