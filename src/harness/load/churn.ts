// Connection churn: one request per connection with `Connection: close`, then wait for EOF. A server whose
// parent kept a copy of the accepted socket sends the response but never the FIN: the client waits in vain.
// (autocannon cannot measure this; see PITFALLS.)
import net from 'node:net';
import { tokenPath } from '../origin/token.js';
import { checkToken } from './token-check.js';
import { CountingGenerator, FAILURE_PAUSE_MS, OpenSockets, RunTally, runConnectionLoops } from './driver.js';
import {
  authLine,
  holderLookup,
  LatencyRecorder,
  type GeneratorFactory,
  type LoadContext,
  type LoadOutcome,
  roundMs,
} from './generator.js';
import { parseResponse } from './http-response.js';
import { threadedFactory } from './threads.js';

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

const EMPTY: Buffer = Buffer.alloc(0);

export class ChurnGenerator extends CountingGenerator<ChurnConfig> {
  /** with the latency histograms behind its summaries: rounds and threads merge them exactly (merge.ts) */
  async run(ctx: LoadContext): Promise<LoadOutcome> {
    const tally = new RunTally(this.name, ctx.clock);
    const log = tally.log;
    const holders = holderLookup(ctx);
    const latencies = new LatencyRecorder();
    const eofs = new LatencyRecorder();
    let seq = 0;
    const open = new OpenSockets<net.Socket>(ctx.signal);

    // the parts of every request that do not depend on its token, built once
    const { origin, mode } = ctx;
    const authority = mode === 'proxy' ? `${origin.host}:${origin.port}` : `${ctx.target.host}:${ctx.target.port}`;
    const targetPrefix = mode === 'proxy' ? `http://${authority}` : '';
    const headTail = ` HTTP/1.1\r\nHost: ${authority}\r\n${mode === 'proxy' ? authLine(ctx) : ''}Connection: close\r\n\r\n`;
    const connectOptions = { host: ctx.target.host, port: ctx.target.port };
    const readBuffer = Buffer.allocUnsafe(64 * 1024);

    /** one connection; resolves to the pause before its loop's next (runConnectionLoops) */
    const one = (slot: number): Promise<number> =>
      new Promise((resolve) => {
        const id = `conn-${++seq}/w${slot}`;
        const token = ctx.nextToken(this.name);
        const request = `GET ${targetPrefix}${tokenPath(token)}${headTail}`;
        const t0 = performance.now();
        let onRead: (chunk: Buffer) => void = () => {};
        // onread: reads land in one buffer shared by every connection of this generator, with no stream 'data'
        // machinery and no Buffer per read (≈ 20-40 µs less CPU per connection here); 'end' still comes
        const socket = open.add(
          net.connect({
            ...connectOptions,
            onread: { buffer: readBuffer, callback: (n: number) => (onRead(readBuffer.subarray(0, n)), true) },
          }),
        );
        let buf = EMPTY;
        let completeAt: number | null = null;
        let status: number | null = null;
        let eofTimer: NodeJS.Timeout | undefined;
        const where = (): string => `local port ${socket.localPort ?? '?'}`;
        /** settle once (open.end): status null = the connection failed; a null time was not measured */
        const finish = (st: number | null, responseMs: number | null, eofMs: number | null): void => {
          if (!open.end(socket)) return;
          clearTimeout(responseTimer);
          clearTimeout(eofTimer);
          if (st === null) this.totals.errors++;
          else this.totals.requests++;
          if (responseMs !== null) latencies.record(responseMs);
          if (eofMs !== null) eofs.record(eofMs);
          resolve(st === null ? FAILURE_PAUSE_MS : 0);
        };
        const responseTimer = setTimeout(() => {
          log.add('timeout', id, `no complete response within ${this.config.timeoutMs} ms (${where()}, token ${token})`);
          finish(status, null, null);
        }, this.config.timeoutMs);
        const judge = (st: number, body: Buffer): void => {
          status = st;
          tally.status(st);
          tally.requests++;
          if (!ctx.expectStatus(st)) {
            log.add('unexpected-status', id, `status ${st} (${where()}, token ${token})`);
          } else if (ctx.checkTokens) {
            tally.tokensChecked++;
            const v = checkToken(body.toString('utf8'), token, mode === 'proxy');
            if (v !== 'ok') log.add(v, id, `expected token ${token}, body starts ${JSON.stringify(body.toString('utf8').slice(0, 60))}`);
          }
        };
        // the harness stopped the load and destroyed this socket: nothing to judge (no timeout, no no-eof)
        socket.on('close', () => {
          if (ctx.signal.aborted) finish(status, null, null);
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
            finish(null, null, null);
          } else if (p.kind === 'complete') {
            completeAt = performance.now();
            clearTimeout(responseTimer);
            judge(p.head.status, p.body);
            tally.eofChecked++;
            // the local port is read when needed (a getsockname() syscall): the socket is still open then
            eofTimer = setTimeout(() => {
              const detail = `no EOF within ${this.config.eofBoundMs} ms after the complete response (${where()}, token ${token})`;
              log.add('no-eof', id, detail, holders(socket.localPort));
              finish(status, completeAt! - t0, null);
            }, this.config.eofBoundMs);
          } else {
            buf = whole === chunk ? Buffer.from(chunk) : whole;
          }
        };
        socket.on('end', () => {
          const now = performance.now();
          if (completeAt !== null) {
            finish(status, completeAt - t0, now - completeAt);
            return;
          }
          const p = parseResponse(buf);
          if (p.kind === 'until-eof') {
            const body = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
            judge(p.head.status, body);
            finish(status, now - t0, 0);
          } else {
            log.add('error', id, `connection closed before a complete response (${buf.length} bytes received, ${where()}, token ${token})`);
            finish(null, null, null);
          }
        });
        socket.on('error', (err: NodeJS.ErrnoException) => {
          if (!open.has(socket)) return;
          if (completeAt !== null) {
            // a reset after the complete response still ends the connection: the socket was released
            finish(status, completeAt - t0, performance.now() - completeAt);
            return;
          }
          log.add('error', id, `${err.code ?? err.message} before a complete response (${where()}, token ${token})`);
          finish(null, null, null);
        });
      });

    await runConnectionLoops({
      connections: this.config.connections,
      until: tally.started + roundMs(ctx, this.config.durationMs),
      signal: ctx.signal,
      rate: this.config.rate,
      sockets: open,
      iteration: one,
    });
    const eofSummary = eofs.summary();
    return tally.outcome({
      errors: log.count('error') + log.count('malformed'),
      timeouts: log.count('timeout'),
      latencyMs: latencies.summary(),
      extra: {
        connectionsOpened: seq,
        noEof: log.count('no-eof'),
        eofChecked: tally.eofChecked,
        eofP50Ms: eofSummary.p50,
        eofMaxMs: eofSummary.max,
      },
      histograms: { latency: latencies.encode(), eof: eofs.encode() },
    });
  }
}

export const createChurn: GeneratorFactory = threadedFactory(
  'churn',
  (r, defaults): ChurnConfig => ({
    durationMs: r.duration('duration', defaults.durationMs),
    connections: r.count('connections', Math.max(1, Math.min(defaults.connections, 8)), 1, 256),
    rate: r.count('rate', 0, 0, 100_000),
    eofBoundMs: r.duration('eofBound', 1_000),
    timeoutMs: r.duration('timeout', 5_000),
  }),
  (name, c) => new ChurnGenerator(name, c),
);
