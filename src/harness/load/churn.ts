// Connection churn: one request per connection with `Connection: close`, then wait for EOF. A server whose
// parent kept a copy of the accepted socket sends the response but never the FIN: the client waits in vain.
// (autocannon cannot measure this; see PITFALLS.) The hot path allocates per connection only its own state: the
// run's shared parts are built once (ChurnRun), the socket is a bare handle (lean-socket.ts), no closure per event.
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
import { leanConnector, type LeanEvents, type LeanSocket } from './lean-socket.js';
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

/** What every connection of one run shares: built once, so a connection allocates only its own state. */
class ChurnRun {
  readonly tally: RunTally;
  readonly holders: ReturnType<typeof holderLookup>;
  readonly latencies = new LatencyRecorder();
  readonly eofs = new LatencyRecorder();
  readonly open: OpenSockets<ChurnConnection>;
  /** reads of every connection land here (lean-socket.ts): a response is judged in place */
  readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  readonly connect: (events: LeanEvents) => LeanSocket;
  readonly proxy: boolean;
  /** the parts of every request that do not depend on its token */
  readonly targetPrefix: string;
  readonly headTail: string;
  seq = 0;

  constructor(
    readonly name: string,
    readonly ctx: LoadContext,
    readonly config: ChurnConfig,
    readonly totals: { requests: number; errors: number },
  ) {
    this.tally = new RunTally(name, ctx.clock);
    this.holders = holderLookup(ctx);
    this.open = new OpenSockets<ChurnConnection>(ctx.signal);
    this.connect = leanConnector(ctx.target, this.readBuffer);
    const { origin, mode } = ctx;
    this.proxy = mode === 'proxy';
    const authority = this.proxy ? `${origin.host}:${origin.port}` : `${ctx.target.host}:${ctx.target.port}`;
    this.targetPrefix = this.proxy ? `http://${authority}` : '';
    this.headTail = ` HTTP/1.1\r\nHost: ${authority}\r\n${this.proxy ? authLine(ctx) : ''}Connection: close\r\n\r\n`;
  }
}

function responseTimedOut(c: ChurnConnection): void {
  c.timedOut();
}

function eofTimedOut(c: ChurnConnection): void {
  c.noEof();
}

/**
 * One connection from connect to EOF. Its events come from its lean socket; it ends exactly once (finish), its
 * timer cleared there. Stopping the load destroys it (OpenSockets): nothing to judge then (no timeout, no no-eof).
 */
class ChurnConnection implements LeanEvents {
  private readonly t0 = performance.now();
  private readonly socket: LeanSocket;
  private readonly token: string;
  private readonly n: number;
  private buf = EMPTY;
  /** performance.now() at the complete response; -1 before */
  private completeAt = -1;
  private status: number | null = null;
  private settled = false;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly run: ChurnRun,
    private readonly slot: number,
    private readonly resolve: (pause: number) => void,
  ) {
    this.n = ++run.seq;
    this.token = run.ctx.nextToken(run.name);
    this.socket = run.connect(this);
    run.open.add(this);
    this.timer = setTimeout(responseTimedOut, run.config.timeoutMs, this);
  }

  private get id(): string {
    return `conn-${this.n}/w${this.slot}`;
  }

  private where(): string {
    return `local port ${this.socket.localPort() ?? '?'}`;
  }

  connected(): void {
    this.socket.write(`GET ${this.run.targetPrefix}${tokenPath(this.token)}${this.run.headTail}`);
  }

  data(n: number): void {
    if (this.completeAt >= 0) return; // bytes after the response: ignored, EOF is what matters
    const run = this.run;
    const chunk = run.readBuffer.subarray(0, n);
    // most responses arrive in one read, judged in place in the shared buffer; what must wait for more bytes is
    // copied out of it
    const whole = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const p = parseResponse(whole);
    if (p.kind === 'malformed') {
      run.tally.log.add('malformed', this.id, `${p.reason} (${this.where()})`);
      this.finish(null, null, null);
    } else if (p.kind === 'complete') {
      this.completeAt = performance.now();
      clearTimeout(this.timer);
      this.judge(p.head.status, p.body);
      run.tally.eofChecked++;
      this.timer = setTimeout(eofTimedOut, run.config.eofBoundMs, this);
    } else {
      this.buf = whole === chunk ? Buffer.from(chunk) : whole;
    }
  }

  eof(): void {
    const now = performance.now();
    const p = this.completeAt >= 0 ? null : parseResponse(this.buf);
    if (p === null) {
      this.finish(this.status, this.completeAt - this.t0, now - this.completeAt);
    } else if (p.kind === 'until-eof') {
      this.judge(p.head.status, this.buf.subarray(this.buf.indexOf('\r\n\r\n') + 4));
      this.finish(this.status, now - this.t0, 0);
    } else {
      const detail = `connection closed before a complete response (${this.buf.length} bytes received, ${this.where()}, token ${this.token})`;
      this.run.tally.log.add('error', this.id, detail);
      this.finish(null, null, null);
    }
  }

  failed(code: string): void {
    // a reset after the complete response still ends the connection: the socket was released
    if (this.completeAt >= 0) {
      this.finish(this.status, this.completeAt - this.t0, performance.now() - this.completeAt);
    } else {
      this.run.tally.log.add('error', this.id, `${code} before a complete response (${this.where()}, token ${this.token})`);
      this.finish(null, null, null);
    }
  }

  timedOut(): void {
    const detail = `no complete response within ${this.run.config.timeoutMs} ms (${this.where()}, token ${this.token})`;
    this.run.tally.log.add('timeout', this.id, detail);
    this.finish(this.status, null, null);
  }

  noEof(): void {
    const run = this.run;
    // the local port is read now (a getsockname() syscall): the socket is still open
    const port = this.socket.localPort();
    const detail = `no EOF within ${run.config.eofBoundMs} ms after the complete response (local port ${port ?? '?'}, token ${this.token})`;
    run.tally.log.add('no-eof', this.id, detail, run.holders(port));
    this.finish(this.status, this.completeAt - this.t0, null);
  }

  /** the load was stopped (OpenSockets destroys every open connection), or the connection ended (finish) */
  destroy(): void {
    this.socket.destroy();
    this.finish(this.status, null, null);
  }

  private judge(st: number, body: Buffer): void {
    const { tally, ctx } = this.run;
    this.status = st;
    tally.status(st);
    tally.requests++;
    if (!ctx.expectStatus(st)) {
      tally.log.add('unexpected-status', this.id, `status ${st} (${this.where()}, token ${this.token})`);
    } else if (ctx.checkTokens) {
      tally.tokensChecked++;
      const v = checkToken(body.toString('utf8'), this.token, this.run.proxy);
      if (v !== 'ok')
        tally.log.add(v, this.id, `expected token ${this.token}, body starts ${JSON.stringify(body.toString('utf8').slice(0, 60))}`);
    }
  }

  /** settle once: status null = the connection failed; a null time was not measured */
  private finish(st: number | null, responseMs: number | null, eofMs: number | null): void {
    if (this.settled) return;
    this.settled = true;
    const run = this.run;
    run.open.end(this);
    clearTimeout(this.timer);
    if (st === null) run.totals.errors++;
    else run.totals.requests++;
    if (responseMs !== null) run.latencies.record(responseMs);
    if (eofMs !== null) run.eofs.record(eofMs);
    this.resolve(st === null ? FAILURE_PAUSE_MS : 0);
  }
}

export class ChurnGenerator extends CountingGenerator<ChurnConfig> {
  /** with the latency histograms behind its summaries: rounds and threads merge them exactly (merge.ts) */
  async run(ctx: LoadContext): Promise<LoadOutcome> {
    const run = new ChurnRun(this.name, ctx, this.config, this.totals);
    const { tally } = run;
    const log = tally.log;
    await runConnectionLoops({
      connections: this.config.connections,
      until: tally.started + roundMs(ctx, this.config.durationMs),
      signal: ctx.signal,
      rate: this.config.rate,
      sockets: run.open,
      iteration: (slot) => new Promise<number>((resolve) => new ChurnConnection(run, slot, resolve)),
    });
    // the histograms' summaries and encoding take a while in a cold thread: not the load's time
    tally.end();
    const eofSummary = run.eofs.summary();
    return tally.outcome({
      errors: log.count('error') + log.count('malformed'),
      timeouts: log.count('timeout'),
      latencyMs: run.latencies.summary(),
      extra: {
        connectionsOpened: run.seq,
        noEof: log.count('no-eof'),
        eofChecked: tally.eofChecked,
        eofP50Ms: eofSummary.p50,
        eofMaxMs: eofSummary.max,
      },
      histograms: { latency: run.latencies.encode(), eof: run.eofs.encode() },
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
