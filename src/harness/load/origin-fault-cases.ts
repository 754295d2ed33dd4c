// Requests that make the harness's origin misbehave (origin/faults.ts), each with the answer the proxy owes
// its client: a slow or chunked or huge answer relayed whole, a hang → 504 once --upstream-timeout passes,
// a reset before the response → 502, a reset mid-body → the client's response cut short too (never passed off
// as complete), a refused connection → 502. Those statuses are the reference proxy's contract: another proxy (a
// command target) owes only a refusal there (a 4xx/5xx or a close; tinyproxy answers 500, squid 503).
// Proxy mode only: a plain server has no upstream.
import { closedPort, faultBodyLength, faultPath, type OriginFault } from '../origin/faults.js';
import { tokenPath } from '../origin/token.js';
import { buildCases, REFUSED, type Case, type CaseEnv, type Expectation } from './cases.js';
import { runExchange } from './raw-exchange.js';

export interface OriginFaultOptions {
  slowMs: number;
  hugeBytes: number;
  chunks: number;
  /** how long a client waits for the 504 of a hang (must exceed the target's upstream timeout) */
  hangWaitMs: number;
}

const get = (env: CaseEnv, target: string, host = env.authority): string =>
  `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${env.authLine}\r\n`;

function faultCase(
  name: string,
  kind: OriginFault,
  expect: Expectation[],
  query: (o: OriginFaultOptions) => Record<string, number>,
  wait?: (o: OriginFaultOptions) => number,
  foreignExpect?: readonly Expectation[],
) {
  return (o: OriginFaultOptions): Case => ({
    name,
    expect,
    foreignExpect,
    proxyOnly: true,
    async run(env) {
      const q = query(o);
      const exchange = await runExchange(
        env.ctx.target,
        [
          { write: get(env, env.requestTarget(faultPath(kind, env.token, q))) },
          { until: 'complete', timeoutMs: wait ? wait(o) : env.timeoutMs },
        ],
        env.ctx.signal,
      );
      return { exchange, token: env.token, bodyLength: faultBodyLength(kind, env.token, q) };
    },
  });
}

const BUILDERS: Record<string, (o: OriginFaultOptions) => Case> = {
  slow: faultCase('slow', 'slow', [200], (o) => ({ ms: o.slowMs })),
  hang: faultCase(
    'hang',
    'hang',
    [504],
    () => ({}),
    (o) => o.hangWaitMs,
    REFUSED,
  ),
  'reset-head': faultCase('reset-head', 'reset-head', [502], () => ({}), undefined, REFUSED),
  'reset-body': faultCase('reset-body', 'reset-body', ['truncated'], () => ({ size: 64 * 1024 })),
  huge: faultCase('huge', 'huge', [200], (o) => ({ size: o.hugeBytes })),
  chunked: faultCase('chunked', 'chunked', [200], (o) => ({ chunks: o.chunks, gap: 5 })),
  refused: (): Case => ({
    name: 'refused',
    expect: [502],
    foreignExpect: REFUSED,
    proxyOnly: true,
    async run(env) {
      const port = await closedPort(env.ctx.origin.host);
      const authority = `${env.ctx.origin.host}:${port}`;
      const exchange = await runExchange(
        env.ctx.target,
        [
          { write: get(env, env.requestTarget(tokenPath(env.token), authority), authority) },
          { until: 'complete', timeoutMs: env.timeoutMs },
        ],
        env.ctx.signal,
      );
      return { exchange, token: null };
    },
  }),
};

export const ORIGIN_FAULT_CASES = Object.keys(BUILDERS);

export function originFaultCases(
  names: string[],
  options: OriginFaultOptions,
  expectOverrides: Record<string, Expectation[]> = {},
): Case[] {
  return buildCases('origin fault', BUILDERS, names, options, expectOverrides);
}
