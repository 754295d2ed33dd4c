// The load phase: every generator once, then further rounds of those still short of their evidence floor, until
// each has it, one stops gathering any, the load cap passes or the load is stopped. A verdict on too little
// evidence is not a pass (run.ts makes it inconclusive). Then, for power, rounds of those short of their aim (more
// connections handed off, so a rare leak strikes), within AIM_BUDGET_MS of load in all.
import type { EvidenceCount } from '../../model/report.js';
import { assembleOutcome, noLatency } from './driver.js';
import { IncidentLog, type LoadContext, type LoadGenerator, type LoadOutcome } from './generator.js';
import { mergeOutcomes } from './merge.js';

export function failedOutcome(generator: string, err: unknown, clock: () => number): LoadOutcome {
  const detail = `generator crashed: ${err instanceof Error ? err.message : String(err)}`;
  const log = new IncidentLog(generator, clock);
  log.add('error', 'generator', detail);
  return assembleOutcome({ generator, durationMs: 0, requests: 0, errors: 1, timeouts: 0, statuses: {}, latencyMs: noLatency(), log });
}

const MAX_SCALE = 8;
/** how long the whole load phase may go on for aims (never past the load cap): power, bounded in time */
export const AIM_BUDGET_MS = 10_000;
const AIM_MAX_SCALE = 2;

/** How many times its own duration a generator's next round should last to reach its floor at its pace so far. */
export function roundScale(c: EvidenceCount, spentMs: number, ownMs: number): number {
  const rate = c.count / Math.max(1, spentMs);
  const needMs = rate > 0 ? ((c.floor - c.count) / rate) * 1.25 : Number.POSITIVE_INFINITY;
  return Math.min(MAX_SCALE, Math.max(1, Math.ceil(needMs / ownMs)));
}

const skipped = (o: LoadOutcome): boolean => (o.stats.extra?.skipped ?? 0) > 0;

/** What each generator gathered against its floor (a skipped generator owes none). */
export function evidenceCounts(generators: readonly LoadGenerator[], outcomes: readonly LoadOutcome[]): EvidenceCount[] {
  return generators.map((g, i) => {
    const o = outcomes[i];
    const counted = g.floor && !skipped(o) ? g.floor.count(o) : null;
    const floor = counted === null ? null : g.floor!;
    const count: EvidenceCount = {
      generator: g.name,
      unit: g.floor?.unit ?? 'responses',
      count: counted ?? o.stats.requests,
      floor: floor?.min ?? 0,
    };
    return floor?.aim ? { ...count, aim: floor.aim } : count;
  });
}

export async function runRounds(
  generators: readonly LoadGenerator[],
  ctx: LoadContext,
  capMs: number,
): Promise<{ outcomes: LoadOutcome[]; rounds: number }> {
  const start = ctx.clock();
  const once = (g: LoadGenerator, c: LoadContext = ctx): Promise<LoadOutcome> =>
    g.run(c).catch((err: unknown) => failedOutcome(g.name, err, ctx.clock));
  const outcomes = await Promise.all(generators.map((g) => once(g)));
  const stalled = new Set<number>();
  const firstMs = outcomes.map((o) => Math.max(1, o.stats.durationMs));
  let rounds = 1;
  for (;;) {
    const counts = evidenceCounts(generators, outcomes);
    const elapsed = ctx.clock() - start;
    if (ctx.signal.aborted || elapsed >= capMs) break;
    const short = counts.flatMap((c, i) => (c.count < c.floor && !stalled.has(i) ? [i] : []));
    // the floors first; once met, the aims, each round only as long as the aims' budget has left
    const aimLeftMs = Math.min(capMs, AIM_BUDGET_MS) - elapsed;
    const aiming = short.length
      ? []
      : counts.flatMap((c, i) => (c.aim !== undefined && c.count < c.aim && !stalled.has(i) && aimLeftMs >= firstMs[i] ? [i] : []));
    const next = short.length ? short : aiming;
    if (next.length === 0) break;
    // each generator runs as long as its pace so far says it needs to reach its floor (or aim; 1× to 8× its own
    // duration): a target slow to start per connection spends less of a longer round getting going
    const scaleOf = (i: number): number => {
      const goal = short.length ? counts[i] : { ...counts[i], floor: counts[i].aim ?? counts[i].floor };
      const scale = roundScale(goal, outcomes[i].stats.durationMs, firstMs[i]);
      // an aim's round runs alone, faster than the shared round its pace was measured in: short rounds, re-judged
      return short.length ? scale : Math.max(1, Math.min(scale, AIM_MAX_SCALE, Math.floor(aimLeftMs / firstMs[i])));
    };
    const more = await Promise.all(next.map((i) => once(generators[i], { ...ctx, durationScale: scaleOf(i) })));
    next.forEach((i, k) => {
      const before = counts[i].count;
      outcomes[i] = mergeOutcomes([outcomes[i], more[k]]);
      // a generator that gathered nothing in a whole round will not reach its floor by repeating it
      if (evidenceCounts([generators[i]], [outcomes[i]])[0].count <= before) stalled.add(i);
    });
    rounds++;
  }
  return { outcomes, rounds };
}
