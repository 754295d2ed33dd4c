// The baseline phase: let the target's tree stop changing, send a couple of requests so lazily opened
// resources exist, then wait for the resting state the drain will be judged against.
import http from 'node:http';
import { atRest } from '../settle.js';
import { tokenPath } from '../origin/token.js';
import type { Origin } from '../origin/server.js';
import type { Target } from '../target.js';
import type { Sample } from '../probes/types.js';
import { pollUntil } from '../../util/poll.js';
import { asDrained, baseObservations, isQuiet, liveChildren } from './quiet.js';
import type { RunScope } from './scope.js';

export interface Baseline {
  sample: Sample;
  /** live children at rest, before the warm-up or after it, whichever is fewer */
  children: number;
}

export async function takeBaseline(scope: RunScope, mode: 'proxy' | 'server', warmupAuth: string | undefined): Promise<Baseline> {
  const { sampler: smp, suite, clock, wait, target, origin } = scope;
  const pool = target.pool;
  // a target may boot workers after it accepts: let its tree stop changing before counting
  let prev = smp.sampleNow();
  await pollUntil(
    () => {
      const now = smp.sampleNow();
      const stable = atRest(prev, now);
      prev = now;
      return { done: stable, value: now };
    },
    { initialMs: 50, maxMs: 300, deadline: clock() + suite.warmupMs / 2, clock, wait, waitFirst: true },
  );
  const childrenBeforeWarmup = liveChildren(prev);
  for (let i = 0; i < 2; i++) await warmupRequest(target, origin, mode, warmupAuth);
  origin.closeIdle();
  const initial = smp.sampleNow();
  const deadline = clock() + suite.warmupMs;
  // a busy machine boots a replacement worker slowly: while the tree still changes (or a declared pool is not
  // back to its resident size) the baseline waits on, up to the drain's extension — a worker caught mid-boot
  // would make its later, booted self look like a leak
  const hardDeadline = deadline + suite.drainExtensionMs;
  let previous: Sample | null = null;
  const settled = await pollUntil(
    () => {
      const s = smp.sampleNow();
      // settled: what the drain would call quiet, judged against the state right after the warm-up
      const base = {
        ...baseObservations(scope.targetFacts, initial, scope.tolerances, smp, scope.drainMs),
        baselineChildren: liveChildren(initial),
      };
      const stable = previous !== null && atRest(previous, s);
      const poolBack = !pool || liveChildren(s) >= pool.resident;
      const done = stable && poolBack && isQuiet(asDrained(base, s));
      const giveUp = clock() > hardDeadline || (clock() > deadline && stable && poolBack);
      previous = s;
      return { done, giveUp, value: s };
    },
    { initialMs: 50, maxMs: 400, wait, waitFirst: true },
  );
  const sample = settled.value!;
  return { sample, children: Math.min(childrenBeforeWarmup, liveChildren(sample)) };
}

/** One request through the target, result ignored: opens whatever the target opens lazily before the baseline. */
function warmupRequest(target: Target, origin: Origin, mode: 'proxy' | 'server', proxyAuthorization?: string): Promise<void> {
  return new Promise((resolve) => {
    const authority = `${origin.host}:${origin.port}`;
    const req = http.get(
      {
        host: target.host,
        port: target.port,
        path: mode === 'proxy' ? `http://${authority}${tokenPath('warmup')}` : tokenPath('warmup'),
        headers: {
          host: mode === 'proxy' ? authority : `${target.host}:${target.port}`,
          connection: 'close',
          ...(mode === 'proxy' && proxyAuthorization ? { 'proxy-authorization': proxyAuthorization } : {}),
        },
        agent: false,
        timeout: 2_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
}
