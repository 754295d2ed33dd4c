// tunnel: CONNECT tunnels through the proxy to the harness's TCP echo. Each tunnel sends a payload that starts
// with its own token, in several writes, and half-closes; EOF must follow. How much must come back after the
// half-close depends on `halfClose`:
//   carried — the FIN goes out right after the payload, while its echo is still on the way back: the whole echo,
//             then the echo's trailer (`#EOF <bytes>`, proof the server saw our FIN and the way back stayed open),
//             then EOF (the server's FIN came through);
//   either  — RFC 9110 §9.3.6 also lets a tunnel close both ways once one side closes: the client reads its whole
//             echo first, then half-closes; the trailer may come (counted as carried) or not (closed on half-close).
// Default: carried against the reference proxy (it carries half-close), either against a command target.
// Proxy mode only: against a plain server it runs nothing (extra.skipped = 1). Suite entry: { "generator": "tunnel", "connections": 4, "duration": "5s", "bytes": 16384,
//   "writes": 4, "timeout": "5s", "eofBound": "1s", "maxTunnels": 100000, "halfClose": "carried" | "either" }
import net from 'node:net';
import { echoTrailer } from '../origin/tcp-echo.js';
import { EntryReader } from './entry.js';
import { assembleOutcome, FAILURE_PAUSE_MS, noLatency, OpenSockets, RunTally, runConnectionLoops, sleep } from './driver.js';
import {
  authLine,
  holderLookup,
  LatencyRecorder,
  type GeneratorFactory,
  type LoadContext,
  type LoadGenerator,
  type LoadOutcome,
  roundMs,
} from './generator.js';

export interface TunnelConfig {
  durationMs: number;
  connections: number;
  /** payload bytes per tunnel (token first) */
  bytes: number;
  /** the payload goes out in this many writes */
  writes: number;
  /** CONNECT answer + echo deadline */
  timeoutMs: number;
  /** EOF must follow the trailer within this */
  eofBoundMs: number;
  maxTunnels: number;
  /** what the tunnel must do with the client's FIN; undefined: by the target (see the top of this file) */
  halfClose?: HalfClose;
}

export type HalfClose = 'carried' | 'either';
export const HALF_CLOSE_MODES: readonly HalfClose[] = ['carried', 'either'];

/** A payload that names its tunnel at the start and every 1 KiB, so misdelivered bytes are recognisable. */
export function tunnelPayload(token: string, bytes: number): Buffer {
  const unit = Buffer.from(`[${token}]`);
  const out = Buffer.alloc(Math.max(bytes, unit.length));
  for (let i = 0; i < out.length; i += 1024) unit.copy(out, i, 0, Math.min(unit.length, out.length - i));
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = 97 + (i % 26);
  return out;
}

type TunnelResult = { kind: 'ok'; ms: number } | { kind: 'failed' } | { kind: 'aborted' };

export class TunnelGenerator implements LoadGenerator {
  private opened = 0;
  private failed = 0;
  constructor(
    readonly name: string,
    readonly config: TunnelConfig,
  ) {}

  live(): { requests: number; errors: number } {
    return { requests: this.opened, errors: this.failed };
  }

  async run(ctx: LoadContext): Promise<LoadOutcome> {
    // a plain server (--mode server) takes no CONNECT: the entry runs nothing, so a suite fits both modes
    if (ctx.mode !== 'proxy') return skipped(this.name);
    if (!ctx.echo) throw new Error('tunnel: this run has no TCP echo to CONNECT to');
    const echo = ctx.echo;
    const tally = new RunTally(this.name, ctx.clock);
    const log = tally.log;
    const holders = holderLookup(ctx);
    const latencies = new LatencyRecorder();
    const eofs = new LatencyRecorder();
    let seq = 0;
    const open = new OpenSockets<net.Socket>(ctx.signal);

    const halfClose: HalfClose = this.config.halfClose ?? (ctx.targetKind === 'command' ? 'either' : 'carried');
    let carried = 0;
    let closedOnHalfClose = 0;

    /** one tunnel; resolves to the pause before its loop's next (runConnectionLoops) */
    const one = (slot: number): Promise<number> =>
      new Promise((resolve) => {
        const id = `tunnel-${++seq}/w${slot}`;
        const token = ctx.nextToken(this.name);
        const payload = tunnelPayload(token, this.config.bytes);
        const trailer = Buffer.from(echoTrailer(payload.length));
        const expected = Buffer.concat([payload, trailer]);
        const t0 = performance.now();
        const socket = open.add(net.connect({ host: ctx.target.host, port: ctx.target.port, allowHalfOpen: true, noDelay: true }));
        let head = Buffer.alloc(0);
        let established = false;
        const got: Buffer[] = [];
        let gotBytes = 0;
        /** when the EOF wait began: the trailer's arrival (carried) or our half-close (either) */
        let eofWaitFrom: number | null = null;
        /** ended already (open.end settles once) */
        const settled = (): boolean => !open.has(socket);
        let eofTimer: NodeJS.Timeout | undefined;
        const where = (): string => `local port ${socket.localPort ?? '?'}, token ${token}`;
        const finish = (r: TunnelResult): void => {
          if (!open.end(socket)) return;
          clearTimeout(timer);
          clearTimeout(eofTimer);
          if (r.kind === 'ok') latencies.record(r.ms);
          else if (r.kind === 'failed') this.failed++;
          resolve(r.kind === 'failed' ? FAILURE_PAUSE_MS : 0);
        };
        const fail = (kind: 'error' | 'timeout' | 'malformed' | 'wrong-token' | 'unexpected-status', detail: string): void => {
          if (settled()) return;
          if (ctx.signal.aborted) {
            finish({ kind: 'aborted' });
            return;
          }
          log.add(kind, id, `${detail} (${where()})`);
          finish({ kind: 'failed' });
        };
        const timer = setTimeout(
          () => fail('timeout', `tunnel not done within ${this.config.timeoutMs} ms (${gotBytes}/${expected.length} bytes back)`),
          this.config.timeoutMs,
        );
        /** The bytes back must be `want` (the payload's echo, or all of it with the trailer). */
        const verify = (want: Buffer): void => {
          const data = Buffer.concat(got);
          tally.tokensChecked++;
          if (data.equals(want)) return;
          const text = data.toString('latin1');
          const other = /\[([^\]]+)\]/.exec(text);
          if (other && other[1] !== token) fail('wrong-token', `tunnel received another tunnel's bytes ([${other[1]}])`);
          else
            fail('malformed', `echo differs: ${data.length} bytes back, expected ${want.length}; tail ${JSON.stringify(text.slice(-40))}`);
        };
        const awaitEof = (after: string): void => {
          eofWaitFrom = performance.now();
          tally.eofChecked++;
          eofTimer = setTimeout(() => {
            log.add('no-eof', id, `no EOF within ${this.config.eofBoundMs} ms after ${after} (${where()})`, holders(socket.localPort));
            finish({ kind: 'failed' });
          }, this.config.eofBoundMs);
        };
        const sendPayload = async (): Promise<void> => {
          const step = Math.ceil(payload.length / this.config.writes);
          for (let i = 0; i < payload.length && !settled(); i += step) {
            socket.write(payload.subarray(i, i + step));
            await sleep(1);
          }
          // carried: half-close now, our direction is done while the echo is still coming back, theirs must stay open
          if (!settled() && halfClose === 'carried') socket.end();
        };
        socket.on('connect', () => {
          socket.write(`CONNECT ${echo.host}:${echo.port} HTTP/1.1\r\nHost: ${echo.host}:${echo.port}\r\n${authLine(ctx)}\r\n`);
        });
        socket.on('data', (chunk: Buffer) => {
          if (!established) {
            head = Buffer.concat([head, chunk]);
            const end = head.indexOf('\r\n\r\n');
            if (end < 0) {
              if (head.length > 16 * 1024) fail('malformed', 'CONNECT answer head too large');
              return;
            }
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'));
            const status = m ? Number(m[1]) : 0;
            tally.status(status);
            if (status !== 200) return fail('unexpected-status', `CONNECT answered ${status || 'garbage'}`);
            established = true;
            tally.requests++;
            this.opened++;
            const rest = head.subarray(end + 4);
            if (rest.length) {
              got.push(rest);
              gotBytes += rest.length;
            }
            void sendPayload();
            if (rest.length) onBytesBack();
            return;
          }
          got.push(chunk);
          gotBytes += chunk.length;
          onBytesBack();
        });
        const onBytesBack = (): void => {
          if (gotBytes > expected.length) {
            fail('malformed', `more bytes back than sent (${gotBytes} > ${expected.length})`);
            return;
          }
          if (eofWaitFrom !== null) return; // either: the trailer, if any, is judged at EOF
          if (halfClose === 'either' && gotBytes >= payload.length) {
            verify(payload); // the echo is whole: only now half-close
            if (settled()) return;
            socket.end();
            awaitEof('our half-close');
          } else if (halfClose === 'carried' && gotBytes === expected.length) {
            verify(expected);
            if (!settled()) awaitEof("the echo's trailer");
          }
        };
        socket.on('end', () => {
          if (settled()) return;
          if (eofWaitFrom !== null) {
            // after the echo: the trailer in full (the way back stayed open; always so in carried mode, which waits
            // for it), or in either mode a prefix of it or nothing (the tunnel closed both ways on our FIN)
            const rest = Buffer.concat(got).subarray(payload.length);
            if (!rest.equals(trailer.subarray(0, rest.length))) {
              return fail(
                'malformed',
                `after the echo came ${JSON.stringify(rest.toString('latin1').slice(0, 40))}, not the echo's trailer`,
              );
            }
            if (rest.length === trailer.length) carried++;
            else closedOnHalfClose++;
            eofs.record(performance.now() - eofWaitFrom);
            finish({ kind: 'ok', ms: performance.now() - t0 });
          } else if (!established) fail('error', 'closed before answering CONNECT');
          else {
            // cut short but what came was right: a lost connection (error budget), e.g. a worker killed by chaos —
            // or, when every tunnel does it, a proxy that does not carry the half-close; wrong bytes are corruption
            const data = Buffer.concat(got);
            const intact = data.equals(expected.subarray(0, data.length));
            const why = !intact
              ? 'bytes differ'
              : halfClose === 'carried'
                ? 'cut short: half-close not carried through? "halfClose": "either" accepts a tunnel closed on the client\'s FIN'
                : 'cut short before our half-close';
            fail(
              intact ? 'error' : 'malformed',
              `EOF after ${gotBytes}/${halfClose === 'carried' ? expected.length : payload.length} bytes back (${why})`,
            );
          }
        });
        // the harness stopped the load (it destroyed this socket): nothing to judge
        socket.on('close', () => {
          if (ctx.signal.aborted) finish({ kind: 'aborted' });
        });
        socket.on('error', (err: NodeJS.ErrnoException) =>
          fail('error', `${err.code ?? err.message}${established ? ' inside the tunnel' : ' before CONNECT was answered'}`),
        );
      });

    await runConnectionLoops({
      connections: this.config.connections,
      until: tally.started + roundMs(ctx, this.config.durationMs),
      signal: ctx.signal,
      more: () => seq < this.config.maxTunnels,
      sockets: open,
      iteration: one,
    });
    return tally.outcome({
      errors: log.count('error') + log.count('malformed') + log.count('wrong-token'),
      timeouts: log.count('timeout'),
      latencyMs: latencies.summary(),
      extra: {
        tunnels: seq,
        bytesPerTunnel: this.config.bytes,
        noEof: log.count('no-eof'),
        eofP50Ms: eofs.summary().p50,
        halfCloseCarried: carried,
        closedOnHalfClose,
      },
    });
  }
}

function skipped(name: string): LoadOutcome {
  return assembleOutcome({
    generator: name,
    durationMs: 0,
    requests: 0,
    errors: 0,
    timeouts: 0,
    statuses: {},
    latencyMs: noLatency(),
    extra: { skipped: 1 },
    log: { counts: {}, incidents: [] },
  });
}

export const createTunnel: GeneratorFactory = (name, entry, defaults) => {
  const r = new EntryReader(`load "${name}"`, entry);
  const config: TunnelConfig = {
    durationMs: r.duration('duration', defaults.durationMs),
    connections: r.connections(defaults, Math.max(1, Math.min(defaults.connections, 8)), 256),
    bytes: r.count('bytes', 16 * 1024, 64, 16 * 1024 * 1024),
    writes: r.count('writes', 4, 1, 1_000),
    timeoutMs: r.duration('timeout', 5_000),
    eofBoundMs: r.duration('eofBound', 1_000),
    maxTunnels: r.count('maxTunnels', 100_000, 1, 10_000_000),
    halfClose: r.oneOf('halfClose', HALF_CLOSE_MODES),
  };
  r.done();
  return new TunnelGenerator(name, config);
};
