// The abusive clients, each with the answer a well-behaved proxy gives (the reference proxy's contract, issue 2):
// malformed input → 400, oversized header block → 431, Content-Length with Transfer-Encoding → 400, a client
// too slow sending headers → 408 or a close once the headers timeout hits. Clients that reset or vanish expect
// nothing: what they test is that the target releases everything afterwards (the drain-time checks).
// Against any target but the reference proxy — a plain server (--mode server) or a command — the bad-input cases
// accept any refusal (4xx/5xx or a close): the exact statuses are the reference proxy's contract, not every server's.
import { UsageError } from '../../util/errors.js';
import { tokenPath } from '../origin/token.js';
import { buildCases, REFUSED, type Case, type CaseEnv, type Expectation } from './cases.js';
import { runExchange, type Step } from './raw-exchange.js';

export interface AbuseOptions {
  /** slowloris: gap between two header bytes */
  slowGapMs: number;
  /** slowloris: give up (mismatch) when the target has not closed after this long */
  slowBoundMs: number;
  /** oversized-headers: bytes of the one big header */
  bigHeaderBytes: number;
  /** origin response size for rst-mid-response */
  responseBytes: number;
}

const head = (env: CaseEnv, method: string, path: string, extra: string[] = []): string =>
  `${[`${method} ${env.requestTarget(path)} HTTP/1.1`, `Host: ${env.authority}`, ...extra].join('\r\n')}\r\n${env.authLine}\r\n`;

const run = (env: CaseEnv, steps: Step[]) => runExchange(env.ctx.target, steps, env.ctx.signal);

function abuseCase(
  name: string,
  expect: Expectation[],
  steps: (env: CaseEnv, o: AbuseOptions) => Step[],
  checkToken = false,
  foreignExpect?: readonly Expectation[],
) {
  return (o: AbuseOptions): Case => ({
    name,
    expect,
    foreignExpect,
    async run(env) {
      return { exchange: await run(env, steps(env, o)), token: checkToken ? env.token : null };
    },
  });
}

const BUILDERS: Record<string, (o: AbuseOptions) => Case> = {
  // request head sent, body promised, a part of it sent, then RST: the upstream request must be dropped
  'rst-mid-request': abuseCase('rst-mid-request', ['any'], (env) => [
    { write: head(env, 'POST', tokenPath(env.token), ['Content-Length: 65536', 'Content-Type: application/octet-stream']) },
    { write: Buffer.alloc(4096, 'b') },
    { pause: 30 },
    { reset: true },
  ]),
  // a large response under way, then RST: the target must stop relaying and close its upstream side
  'rst-mid-response': abuseCase('rst-mid-response', ['ok'], (env, o) => [
    { write: head(env, 'GET', `${tokenPath(env.token)}?size=${o.responseBytes}`) },
    { until: 'head', timeoutMs: env.timeoutMs },
    { reset: true },
  ]),
  // the whole request, then FIN at once: the target may answer or treat the FIN as an abort (node:http's
  // default) and close — what it must not do is hang on to the connection
  'early-half-close': abuseCase(
    'early-half-close',
    ['ok', 'close'],
    (env) => [{ write: head(env, 'GET', tokenPath(env.token)) }, { end: true }, { until: 'complete', timeoutMs: env.timeoutMs }],
    true,
  ),
  // headers one byte at a time, never finished: the headers timeout must close the connection
  slowloris: abuseCase('slowloris', [408, 'close'], (env, o) => [
    {
      trickle: `GET ${env.requestTarget(tokenPath(env.token))} HTTP/1.1\r\nHost: ${env.authority}\r\n${env.authLine}X-Slow: ${'s'.repeat(10_000)}`,
      gapMs: o.slowGapMs,
      stopAfterMs: o.slowBoundMs,
    },
    { until: 'closed', timeoutMs: 1_000 },
  ]),
  'malformed-request-line': abuseCase(
    'malformed-request-line',
    [400],
    () => [{ write: 'GET\x01 /nothing HTTP/9.9 extra\r\nHost: x\r\n\r\n' }, { until: 'complete', timeoutMs: 5_000 }],
    false,
    REFUSED,
  ),
  'oversized-headers': abuseCase(
    'oversized-headers',
    [431],
    (env, o) => [
      { write: head(env, 'GET', tokenPath(env.token), [`X-Big: ${'h'.repeat(o.bigHeaderBytes)}`]) },
      { until: 'complete', timeoutMs: env.timeoutMs },
    ],
    false,
    REFUSED,
  ),
  // request smuggling's classic ingredient: must be refused, never forwarded
  'cl-te': abuseCase(
    'cl-te',
    [400],
    (env) => [
      { write: `${head(env, 'POST', tokenPath(env.token), ['Content-Length: 5', 'Transfer-Encoding: chunked'])}0\r\n\r\n` },
      { until: 'complete', timeoutMs: env.timeoutMs },
    ],
    false,
    REFUSED,
  ),
  garbage: abuseCase(
    'garbage',
    [400, 'close'],
    () => [{ write: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256)) }, { until: 'closed', timeoutMs: 5_000 }],
    false,
    REFUSED,
  ),
  // a request whose answer takes a while, then the client just leaves (FIN, no RST)
  vanish: abuseCase('vanish', ['any'], (env) => [
    { write: head(env, 'GET', `${tokenPath(env.token)}?delay=300`) },
    { pause: 50 },
    { leave: true },
  ]),
};

export const ABUSE_CASES = Object.keys(BUILDERS);

export function abuseCases(names: string[], options: AbuseOptions, expectOverrides: Record<string, Expectation[]> = {}): Case[] {
  return buildCases('abuse case', BUILDERS, names, options, expectOverrides);
}

/** Reads an `expect` map of a suite entry: case → list of statuses / "close" / "truncated" / "any". */
export function parseExpectOverrides(where: string, raw: unknown, known: string[]): Record<string, Expectation[]> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UsageError(`${where}.expect must be an object: case → [statuses or "close"]`);
  const out: Record<string, Expectation[]> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!known.includes(k)) throw new UsageError(`${where}.expect: unknown case "${k}" (known: ${known.join(', ')})`);
    const list = Array.isArray(v) ? v : [v];
    out[k] = list.map((e) => {
      if (typeof e === 'number' && Number.isInteger(e) && e >= 100 && e <= 599) return e;
      if (e === 'ok' || e === 'refused' || e === 'close' || e === 'truncated' || e === 'any') return e;
      throw new UsageError(`${where}.expect.${k}: ${JSON.stringify(e)} is not a status, "ok", "refused", "close", "truncated" or "any"`);
    });
  }
  return out;
}
