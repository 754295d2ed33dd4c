// Connection churn: one request per connection with `Connection: close`, then wait for EOF. A server whose
// parent kept a copy of the accepted socket sends the response but never the FIN: the client waits in vain.
// (autocannon cannot measure this; see PITFALLS.)
import net from 'node:net';
import { tokenPath } from '../origin/token.js';
import { EntryReader } from './entry.js';
import { checkToken } from './token-check.js';
import { authLine, holderLookup, IncidentLog, LatencyRecorder, type GeneratorFactory, type LoadContext, type LoadGenerator, type LoadOutcome, roundMs } from './generator.js';
import { parseResponse } from './http-response.js';
import { takeRamp, withRamp } from './ramp.js';
import { readThreads, threaded, type ThreadPart } from './threads.js';

export interface ChurnConfig {
  durationMs: number;
  /** concurrent connections (closed loop: each starts the next when its previous one ended) */
  connections: number;
  /** at most this many new connections per second overall (0 = unlimited) */
  rate: number;
  /** a connection without EOF this long after its complete response counts as no-eof */
  eofBoundMs: number;
  /** connect + complete response deadline */
  timeoutMs: number;
}

interface ConnResult {
  status: number | null;
  responseMs: number | null;
  eofMs: number | null;
}

const EMPTY: Buffer = Buffer.alloc(0);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ChurnGenerator implements LoadGenerator {
  private readonly totals = { requests: 0, errors: 0 };
  constructor(readonly name: string, readonly config: ChurnConfig) {}

  live(): { requests: number; errors: number } {
    return { ...this.totals };
  }

  async run(ctx: LoadContext): Promise<LoadOutcome> {
    return (await this.runRecorded(ctx)).outcome;
  }

  /** run(), with the latency histograms behind its summaries (a load thread sends them back to merge exactly) */
  async runRecorded(ctx: LoadContext): Promise<ThreadPart> {
    const log = new IncidentLog(this.name, ctx.clock);
    const holders = holderLookup(ctx);
    const statuses: Record<string, number> = {};
    const latencies = new LatencyRecorder();
    const eofs = new LatencyRecorder();
    let seq = 0;
    let tokensChecked = 0;
    let eofChecked = 0;
    let requests = 0;
    const started = Date.now();
    const deadline = started + roundMs(ctx, this.config.durationMs);
    const live = new Set<net.Socket>();
    const onAbort = (): void => {
      for (const s of live) s.destroy();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const minGapMs = this.config.rate > 0 ? 1000 / this.config.rate : 0;
    let nextSlot = started;

    // the parts of every request that do not depend on its token, built once
    const { origin, mode } = ctx;
    const authority = mode === 'proxy' ? `${origin.host}:${origin.port}` : `${ctx.target.host}:${ctx.target.port}`;
    const targetPrefix = mode === 'proxy' ? `http://${authority}` : '';
    const headTail = ` HTTP/1.1\r\nHost: ${authority}\r\n${mode === 'proxy' ? authLine(ctx) : ''}Connection: close\r\n\r\n`;
    const connectOptions = { host: ctx.target.host, port: ctx.target.port };
    const readBuffer = Buffer.allocUnsafe(64 * 1024);

    const one = (id: string): Promise<ConnResult> =>
      new Promise((resolve) => {
        const token = ctx.nextToken(this.name);
        const request = `GET ${targetPrefix}${tokenPath(token)}${headTail}`;
        const t0 = performance.now();
        let onRead: (chunk: Buffer) => void = () => {};
        // onread: reads land in one buffer shared by every connection of this generator, with no stream 'data'
        // machinery and no Buffer per read (≈ 20-40 µs less CPU per connection here); 'end' still comes
        const socket = net.connect({ ...connectOptions, onread: { buffer: readBuffer, callback: (n: number) => (onRead(readBuffer.subarray(0, n)), true) } });
        live.add(socket);
        let buf = EMPTY;
        let completeAt: number | null = null;
        let status: number | null = null;
        let settled = false;
        let eofTimer: NodeJS.Timeout | undefined;
        const where = (): string => `local port ${socket.localPort ?? '?'}`;
        const finish = (r: ConnResult): void => {
          if (settled) return;
          settled = true;
          clearTimeout(responseTimer);
          clearTimeout(eofTimer);
          socket.destroy();
          live.delete(socket);
          resolve(r);
        };
        const responseTimer = setTimeout(() => {
          log.add('timeout', id, `no complete response within ${this.config.timeoutMs} ms (${where()}, token ${token})`);
          finish({ status, responseMs: null, eofMs: null });
        }, this.config.timeoutMs);
        const judge = (st: number, body: Buffer): void => {
          status = st;
          statuses[String(st)] = (statuses[String(st)] ?? 0) + 1;
          requests++;
          if (!ctx.expectStatus(st)) {
            log.add('unexpected-status', id, `status ${st} (${where()}, token ${token})`);
          } else if (ctx.checkTokens) {
            tokensChecked++;
            const v = checkToken(body.toString('utf8'), token, mode === 'proxy');
            if (v !== 'ok') log.add(v, id, `expected token ${token}, body starts ${JSON.stringify(body.toString('utf8').slice(0, 60))}`);
          }
        };
        // the harness stopped the load and destroyed this socket: nothing to judge (no timeout, no no-eof)
        socket.on('close', () => {
          if (!settled && ctx.signal.aborted) finish({ status, responseMs: null, eofMs: null });
        });
        socket.on('connect', () => {
          socket.write(request);
        });
        onRead = (chunk: Buffer): void => {
          if (completeAt !== null) return; // bytes after the response: ignored, EOF is what matters
          // most responses arrive in one chunk, judged in place in the shared read buffer; what must wait for
          // more bytes is copied out of it
          const whole = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
          const p = parseResponse(whole);
          if (p.kind === 'malformed') {
            log.add('malformed', id, `${p.reason} (${where()})`);
            finish({ status: null, responseMs: null, eofMs: null });
          } else if (p.kind === 'complete') {
            completeAt = performance.now();
            clearTimeout(responseTimer);
            judge(p.head.status, p.body);
            eofChecked++;
            // the local port is read when needed (a getsockname() syscall): the socket is still open then
            eofTimer = setTimeout(() => {
              const detail = `no EOF within ${this.config.eofBoundMs} ms after the complete response (${where()}, token ${token})`;
              log.add('no-eof', id, detail, holders(socket.localPort));
              finish({ status, responseMs: completeAt! - t0, eofMs: null });
            }, this.config.eofBoundMs);
          } else {
            buf = whole === chunk ? Buffer.from(chunk) : whole;
          }
        };
        socket.on('end', () => {
          const now = performance.now();
          if (completeAt !== null) {
            finish({ status, responseMs: completeAt - t0, eofMs: now - completeAt });
            return;
          }
          const p = parseResponse(buf);
          if (p.kind === 'until-eof') {
            const body = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
            judge(p.head.status, body);
            finish({ status, responseMs: now - t0, eofMs: 0 });
          } else {
            log.add('error', id, `connection closed before a complete response (${buf.length} bytes received, ${where()}, token ${token})`);
            finish({ status: null, responseMs: null, eofMs: null });
          }
        });
        socket.on('error', (err: NodeJS.ErrnoException) => {
          if (settled) return;
          if (completeAt !== null) {
            // a reset after the complete response still ends the connection: the socket was released
            finish({ status, responseMs: completeAt - t0, eofMs: performance.now() - completeAt });
            return;
          }
          log.add('error', id, `${err.code ?? err.message} before a complete response (${where()}, token ${token})`);
          finish({ status: null, responseMs: null, eofMs: null });
        });
      });

    const worker = async (w: number): Promise<void> => {
      while (Date.now() < deadline && !ctx.signal.aborted) {
        if (minGapMs > 0) {
          const slot = nextSlot;
          nextSlot = Math.max(nextSlot + minGapMs, Date.now());
          if (slot > Date.now()) await sleep(slot - Date.now());
          if (Date.now() >= deadline || ctx.signal.aborted) break;
        }
        const r = await one(`conn-${++seq}/w${w}`);
        if (r.status === null) this.totals.errors++;
        else this.totals.requests++;
        if (r.responseMs !== null) latencies.record(r.responseMs);
        if (r.eofMs !== null) eofs.record(r.eofMs);
        // don't spin on a dead target
        if (r.status === null) await sleep(20);
      }
    };
    await Promise.all(Array.from({ length: this.config.connections }, (_, i) => worker(i + 1)));
    ctx.signal.removeEventListener('abort', onAbort);
    const eofSummary = eofs.summary();
    const outcome: LoadOutcome = {
      stats: {
        generator: this.name,
        durationMs: Date.now() - started,
        requests,
        errors: log.count('error') + log.count('malformed'),
        timeouts: log.count('timeout'),
        statuses,
        latencyMs: latencies.summary(),
        extra: {
          connectionsOpened: seq,
          noEof: log.count('no-eof'),
          eofChecked,
          eofP50Ms: eofSummary.p50,
          eofMaxMs: eofSummary.max,
        },
      },
      counts: log.counts,
      tokensChecked,
      eofChecked,
      incidents: log.incidents,
    };
    return { outcome, latency: { hist: latencies.encode(), perMs: 1000 }, eof: { hist: eofs.encode(), perMs: 1000 } };
  }
}

export const createChurn: GeneratorFactory = (name, entry, defaults) => {
  const { ramp, rest } = takeRamp(`load "${name}"`, entry);
  const r = new EntryReader(`load "${name}"`, rest);
  const config: ChurnConfig = {
    durationMs: r.duration('duration', defaults.durationMs),
    connections: r.count('connections', Math.max(1, Math.min(defaults.connections, 8)), 1, 256),
    rate: r.count('rate', 0, 0, 100_000),
    eofBoundMs: r.duration('eofBound', 1_000),
    timeoutMs: r.duration('timeout', 5_000),
  };
  const threads = readThreads(r, defaults);
  r.done();
  return withRamp(name, ramp, config.connections, config.durationMs, (stage) => threaded('churn', name, { ...config, ...stage }, threads, (c) => new ChurnGenerator(name, c)));
};
