// A generator made of scripted cases (abuse, origin faults): each case is one connection with an expected
// outcome; workers cycle through the cases until the duration or the case budget is spent. A case whose outcome
// differs from what it expected is an `unexpected-status` incident (it counts against the error budget) — or,
// against a command target, a protocol finding reported apart (--strict-protocol gates on it); a successful
// answer also has its token checked.
import type { ProtocolFinding } from '../../model/report.js';
import { UsageError } from '../../util/errors.js';
import { checkToken } from './token-check.js';
import { RunTally, runConnectionLoops } from './driver.js';
import { authLine, LatencyRecorder, type LoadContext, type LoadGenerator, type LoadOutcome, roundMs } from './generator.js';
import type { Exchange } from './raw-exchange.js';

/**
 * What a case accepts: an HTTP status; `ok` = a status the suite counts as success (2xx by default);
 * `refused` = any 4xx/5xx or a close without response; `close` = the connection closed without any response;
 * `truncated` = a response head, then the connection closed before the body was complete; `any` = nothing to
 * judge (the client itself went away) — the case only fails when it cannot connect.
 */
export type Expectation = number | 'ok' | 'refused' | 'close' | 'truncated' | 'any';

/** what a target other than the reference proxy owes bad input or a failed origin: a refusal (4xx/5xx or a close) */
export const REFUSED: readonly Expectation[] = ['refused'];

export interface CaseEnv {
  ctx: LoadContext;
  token: string;
  /** request target for an origin path: absolute-form in proxy mode, origin-form in server mode */
  requestTarget(path: string, authority?: string): string;
  /** Host header value for the origin */
  authority: string;
  /** the Proxy-Authorization line to put in a request head ('' when none is required) */
  authLine: string;
  timeoutMs: number;
}

export interface CaseRun {
  exchange: Exchange;
  /** token the answer must carry when it is a 2xx (null: not checked) */
  token: string | null;
  /** body length a complete 2xx answer must have (null: not checked) */
  bodyLength?: number | null;
}

export interface Case {
  name: string;
  expect: readonly Expectation[];
  /** proxy-only cases are skipped against a plain server */
  proxyOnly?: boolean;
  /**
   * what any other target must answer instead of `expect`, which is the reference proxy's contract: a plain server
   * (--mode server), or a command target (another proxy owes the class of answer, not handoff's exact status)
   */
  foreignExpect?: readonly Expectation[];
  run(env: CaseEnv): Promise<CaseRun>;
}

export interface CasesConfig {
  durationMs: number;
  connections: number;
  /** stop after this many cases in all (bounds slow cases too) */
  maxCases: number;
  timeoutMs: number;
}

/** What the exchange amounts to, in the words of Expectation. */
export function outcomeOf(
  x: Exchange,
  success: (status: number) => boolean = (s) => s >= 200 && s < 300,
): { label: string; matches: (e: Expectation) => boolean } {
  if (!x.connected) return { label: `connect failed (${x.error ?? 'unknown'})`, matches: () => false };
  if (x.head) {
    const status = x.head.status;
    const truncated = !x.complete && x.serverClosed !== null;
    const label = truncated ? `${status} cut short (${x.bodyBytes} body bytes)` : `${status}${x.complete ? '' : ' (incomplete)'}`;
    const fits = (e: Expectation): boolean => e === status || (e === 'ok' && success(status)) || (e === 'refused' && status >= 400);
    return { label, matches: (e) => e === 'any' || (truncated ? e === 'truncated' : fits(e)) };
  }
  if (x.serverClosed)
    return { label: `closed without a response (${x.serverClosed})`, matches: (e) => e === 'close' || e === 'refused' || e === 'any' };
  if (x.clientLeft) return { label: 'client left', matches: (e) => e === 'any' };
  return {
    label: x.timedOut ? 'no answer before the deadline' : `no answer (${x.error ?? 'open'})`,
    matches: (e) => e === 'any' && !x.timedOut,
  };
}

/** The named cases from a table of builders; a suite's `expect` override replaces a case's own, in both modes. */
export function buildCases<O>(
  what: string,
  builders: Record<string, (o: O) => Case>,
  names: string[],
  options: O,
  expectOverrides: Record<string, Expectation[]>,
): Case[] {
  return names.map((n) => {
    if (!Object.hasOwn(builders, n)) throw new UsageError(`unknown ${what} "${n}" (known: ${Object.keys(builders).join(', ')})`);
    const c = builders[n](options);
    return expectOverrides[n] ? { ...c, expect: expectOverrides[n], foreignExpect: undefined } : c;
  });
}

export const describeExpect = (e: readonly Expectation[]): string => e.map(String).join(' or ');

export class CaseGenerator implements LoadGenerator {
  private done = 0;
  private bad = 0;
  constructor(
    readonly name: string,
    readonly cases: Case[],
    readonly config: CasesConfig,
  ) {}

  live(): { requests: number; errors: number } {
    return { requests: this.done, errors: this.bad };
  }

  async run(ctx: LoadContext): Promise<LoadOutcome> {
    const tally = new RunTally(this.name, ctx.clock);
    const log = tally.log;
    const findings = new FindingLog(this.name);
    const extra: Record<string, number> = {};
    const latencies = new LatencyRecorder();
    const cases = this.cases.filter((c) => ctx.mode === 'proxy' || !c.proxyOnly);
    let errors = 0;
    let timeouts = 0;
    let started_ = 0;
    const authority = ctx.mode === 'proxy' ? `${ctx.origin.host}:${ctx.origin.port}` : `${ctx.target.host}:${ctx.target.port}`;

    const one = async (c: Case, id: string): Promise<void> => {
      const token = ctx.nextToken(this.name);
      const env: CaseEnv = {
        ctx,
        token,
        authority,
        authLine: ctx.mode === 'proxy' ? authLine(ctx) : '',
        timeoutMs: this.config.timeoutMs,
        requestTarget: (path, auth = authority) => (ctx.mode === 'proxy' ? `http://${auth}${path}` : path),
      };
      const t0 = performance.now();
      let r: CaseRun;
      try {
        r = await c.run(env);
      } catch (err) {
        errors++;
        this.bad++;
        log.add('error', id, `case ${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (ctx.signal.aborted && !r.exchange.head) return; // the run is stopping: nothing to judge
      const x = r.exchange;
      if (!x.connected) {
        errors++;
        this.bad++;
        log.add('error', id, `case ${c.name}: ${x.error ?? 'could not connect'}`);
        return;
      }
      tally.requests++;
      this.done++;
      latencies.record(performance.now() - t0);
      tally.status(x.head ? x.head.status : x.serverClosed ? 'close' : 'none');
      const o = outcomeOf(x, ctx.expectStatus);
      const foreign = ctx.mode === 'server' || ctx.targetKind === 'command';
      const expect = foreign && c.foreignExpect ? c.foreignExpect : c.expect;
      const ok = expect.some(o.matches);
      extra[`${c.name}.${ok ? 'ok' : 'bad'}`] = (extra[`${c.name}.${ok ? 'ok' : 'bad'}`] ?? 0) + 1;
      if (!ok && ctx.targetKind === 'command' && !ctx.strictProtocol) {
        // how another server answers bad input is a protocol fact, not a cleanup one: reported apart
        findings.add(c.name, describeExpect(expect), x.timedOut && !x.head ? 'no answer before the deadline' : o.label, id);
        return;
      }
      if (!ok) {
        this.bad++;
        if (x.timedOut && !x.head) timeouts++;
        log.add(
          x.timedOut && !x.head ? 'timeout' : 'unexpected-status',
          id,
          `case ${c.name}: expected ${describeExpect(expect)}, got ${o.label} (token ${token})`,
        );
        return;
      }
      if (x.head && x.head.status >= 200 && x.head.status < 300 && x.complete && r.token !== null && ctx.checkTokens) {
        tally.tokensChecked++;
        const v = checkToken(x.bodyStart, r.token, ctx.mode === 'proxy');
        if (v !== 'ok')
          log.add(v, id, `case ${c.name}: expected token ${r.token}, body starts ${JSON.stringify(x.bodyStart.slice(0, 60))}`);
        else if (r.bodyLength != null && x.bodyBytes !== r.bodyLength) {
          log.add('malformed', id, `case ${c.name}: body of ${x.bodyBytes} bytes, expected ${r.bodyLength}`);
        }
      }
    };

    // one shared sequence: every case gets its turn, whatever the number of loops (ids name them from w0)
    const next = (slot: number): Promise<void> => {
      const c = cases[started_ % cases.length];
      started_++;
      return one(c, `${c.name}-${started_}/w${slot - 1}`);
    };
    await runConnectionLoops({
      connections: cases.length > 0 ? this.config.connections : 0,
      until: tally.started + roundMs(ctx, this.config.durationMs),
      signal: ctx.signal,
      more: () => started_ < this.config.maxCases,
      iteration: next,
    });
    return tally.outcome({
      // connect failures and crashed cases; mismatches are counted as unexpected statuses
      errors,
      timeouts,
      latencyMs: latencies.summary(),
      extra: {
        cases: started_,
        mismatches: log.count('unexpected-status') + timeouts,
        ...(cases.length === 0 ? { skipped: 1 } : {}),
        ...extra,
      },
      protocol: findings.list,
    });
  }
}

/** Protocol findings folded by case and answer (a case answered the same way 300 times is one finding). */
class FindingLog {
  readonly list: ProtocolFinding[] = [];
  private readonly byKey = new Map<string, ProtocolFinding>();
  constructor(private readonly generator: string) {}
  add(caseName: string, expected: string, got: string, id: string): void {
    // the label carries no token, so equal answers fold together
    const key = `${caseName}\0${got}`;
    const known = this.byKey.get(key);
    if (known) {
      known.count++;
      return;
    }
    const f: ProtocolFinding = { generator: this.generator, case: caseName, expected, got, count: 1, example: id };
    this.byKey.set(key, f);
    this.list.push(f);
  }
}
