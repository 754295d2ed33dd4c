// Keep-alive flood with autocannon: absolute-form requests through a proxy, or origin-form straight to a server.
// Each request carries a fresh token; the response must carry it back (cross-talk detection).
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import { tokenPath } from '../origin/token.js';
import { checkEchoedToken, checkToken } from './token-check.js';
import { threadedFactory } from './threads.js';
import type { LatencySummary } from '../../model/report.js';
import { CountingGenerator, RunTally } from './driver.js';
import { mergeEncoded } from './histogram.js';
import { type GeneratorFactory, type LoadContext, type LoadOutcome, roundMs } from './generator.js';

export interface FloodConfig {
  durationMs: number;
  connections: number;
  /** extra response body bytes asked of the origin */
  size: number;
  /** per-request timeout */
  timeoutMs: number;
}

interface TokenContext {
  token?: string;
  n?: number;
}

// the token checks live apart (token-check.ts): churn and the cases need them without loading autocannon
export { checkEchoedToken, checkToken };

/** The parts of autocannon 9's per-connection Client this generator touches (it has no public hook for them). */
export interface AutocannonClient {
  on(event: 'headers', listener: (info: { shouldKeepAlive?: boolean }) => void): void;
  /** the current connection (replaced on every reconnect; none yet while setupClient runs) */
  conn?: Pick<EventEmitter, 'prependListener'>;
  /** requests written and not answered yet, oldest first; the next response is matched to the oldest */
  pipelinedRequests: { clear(): void };
  _connect(): void;
  _doRequest(...args: unknown[]): unknown;
  _resetConnection(): void;
}

/** What the flood changes in each autocannon client: the two corrections below. */
export function correctClient(client: AutocannonClient): void {
  honourConnectionClose(client);
  forgetRequestsOfEndedConnections(client);
}

/**
 * autocannon writes the next request on a connection whose last response said `Connection: close` (or was an
 * HTTP/1.0 answer without keep-alive), which RFC 9112 §9.6 forbids a client to do. A server that then close()s
 * — the classic fork-per-connection server — resets it, and the harness would charge the reset to the target.
 * Like any correct client, open a new connection instead.
 */
export function honourConnectionClose(client: AutocannonClient): void {
  let closing = false;
  client.on('headers', (info) => {
    closing = info.shouldKeepAlive === false;
  });
  const doRequest = client._doRequest.bind(client);
  client._doRequest = (...args: unknown[]) => {
    if (!closing) return doRequest(...args);
    closing = false;
    // drops the closing connection and connects anew; the new connection sends the request
    client._resetConnection();
    return undefined;
  };
}

/**
 * A server may close a persistent connection without saying so first (RFC 9112 §9.3; tinyproxy does after every
 * answer). autocannon has then written its next request there; it reconnects on the end, but keeps that request
 * queued and matches the new connection's first answer to it — and every later answer to the request before
 * it. Each latency was counted from an ever older start: p50 716 ms over 3 s against a server answering in well
 * under 1 ms. A request on a connection that ended or failed will never be answered: forget it.
 */
export function forgetRequestsOfEndedConnections(client: AutocannonClient): void {
  const watch = (): void => {
    // before autocannon's own listeners, which reconnect and queue the next request at once
    const forget = (): void => client.pipelinedRequests.clear();
    client.conn?.prependListener('end', forget);
    client.conn?.prependListener('error', forget);
  };
  // autocannon calls setupClient in the client's constructor before it connects; the wrapper sees that connect too
  if (client.conn) watch();
  const connect = client._connect.bind(client);
  client._connect = () => {
    connect();
    watch();
  };
}

export class FloodGenerator extends CountingGenerator<FloodConfig> {
  /** off the main thread, with autocannon's own latency histogram (whole ms) to merge exactly (merge.ts) */
  async run(ctx: LoadContext): Promise<LoadOutcome> {
    // autocannon opens and loops the connections itself: of the driver, only the tally and its outcome
    const tally = new RunTally(this.name, ctx.clock);
    const log = tally.log;
    let seq = 0;
    const { origin, mode } = ctx;
    const originAuthority = `${origin.host}:${origin.port}`;
    // the same object for every request: autocannon copies it into each request head
    const proxyHeaders: Record<string, string> = ctx.proxyAuthorization
      ? { host: originAuthority, 'proxy-authorization': ctx.proxyAuthorization }
      : { host: originAuthority };
    const sizeQuery = this.config.size > 0 ? `?size=${this.config.size}` : '';
    let resolveDone!: (r: autocannon.Result) => void;
    let rejectDone!: (e: Error) => void;
    const done = new Promise<autocannon.Result>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const instance = autocannon(
      {
        url: `http://${ctx.target.host}:${ctx.target.port}`,
        connections: this.config.connections,
        duration: roundMs(ctx, this.config.durationMs) / 1000,
        timeout: Math.max(1, Math.ceil(this.config.timeoutMs / 1000)),
        setupClient: (client: unknown) => correctClient(client as AutocannonClient),
        // autocannon acts on its end (duration, or stop() on abort) only at its next sample: by default a second
        // later, so a 200 ms flood ran a whole second. Only latency percentiles and totals are read from it.
        sampleInt: 100,
        requests: [
          {
            method: 'GET',
            setupRequest: (req: autocannon.Request, context: TokenContext) => {
              const token = ctx.nextToken(this.name);
              context.token = token;
              context.n = ++seq;
              const path = tokenPath(token) + sizeQuery;
              return mode === 'proxy'
                ? { ...req, path: `http://${originAuthority}${path}`, headers: proxyHeaders }
                : { ...req, path, headers: { host: `${ctx.target.host}:${ctx.target.port}` } };
            },
            onResponse: (status: number, body: string, context: TokenContext) => {
              tally.status(status);
              tally.requests++;
              this.totals.requests++;
              if (!ctx.expectStatus(status)) {
                log.add('unexpected-status', `req-${context.n}`, `status ${status} for token ${context.token}`);
                return;
              }
              if (!ctx.checkTokens || !context.token) return;
              tally.tokensChecked++;
              const verdict = checkToken(body, context.token, mode === 'proxy');
              if (verdict !== 'ok') {
                log.add(verdict, `req-${context.n}`, `expected token ${context.token}, body starts ${JSON.stringify(body.slice(0, 60))}`);
              }
            },
          } as autocannon.Request,
        ],
      },
      (err, result) => (err ? rejectDone(err as Error) : resolveDone(result)),
    );
    // errors after the harness stopped the load (autocannon reconnects for a while) are not the target's
    const afterAbort = { errors: 0, timeouts: 0 };
    instance.on('reqError', (err: Error) => {
      if (ctx.signal.aborted) {
        if (/timed out/.test(err.message)) afterAbort.timeouts++;
        else afterAbort.errors++;
        return;
      }
      this.totals.errors++;
      if (/timed out/.test(err.message)) log.add('timeout', `conn-error`, err.message);
      else log.add('error', 'conn-error', err.message);
    });
    const abort = (): void => instance.stop();
    ctx.signal.addEventListener('abort', abort, { once: true });
    const result = readResult(await done.finally(() => ctx.signal.removeEventListener('abort', abort)));
    return tally.outcome({
      errors: Math.max(0, result.errors - result.timeouts - afterAbort.errors),
      timeouts: Math.max(0, result.timeouts - afterAbort.timeouts),
      latencyMs: result.latency,
      extra: { sent: result.sent, connections: this.config.connections },
      ...(result.encoded ? { histograms: { latency: { kind: 'hdr', hist: result.encoded, perMs: 1 } } } : {}),
    });
  }
}

/** What the flood reads of autocannon's result. */
interface FloodResult {
  latency: LatencySummary;
  errors: number;
  timeouts: number;
  sent: number;
  /** off the main thread: the latency histogram, encoded */
  encoded?: string;
}

/**
 * autocannon off the main thread believes it is one of its own workers and hands back its raw result
 * (encoded histograms, for its manager to aggregate): read either form.
 */
export function readResult(result: autocannon.Result): FloodResult {
  const raw = result as unknown as { latencies?: unknown; totalRequests?: number };
  if (typeof raw.latencies === 'string') {
    return {
      latency: mergeEncoded([{ kind: 'hdr', hist: raw.latencies, perMs: 1 }])?.summary ?? { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
      errors: result.errors,
      timeouts: result.timeouts,
      sent: raw.totalRequests ?? 0,
      encoded: raw.latencies,
    };
  }
  const lat = result.latency;
  return {
    latency: { p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max, mean: lat.mean },
    errors: result.errors,
    timeouts: result.timeouts,
    sent: result.requests.sent,
  };
}

export const createFlood: GeneratorFactory = threadedFactory(
  'flood',
  (r, defaults): FloodConfig => ({
    durationMs: r.duration('duration', defaults.durationMs),
    connections: r.connections(defaults, defaults.connections, 1000),
    size: r.count('size', 0, 0, 1024 * 1024),
    timeoutMs: r.duration('timeout', 5_000),
  }),
  (name, c) => new FloodGenerator(name, c),
);
