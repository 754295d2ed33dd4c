// A ramp for flood and churn: start → peak → hold. The ramp-up is a few steps of rising concurrency, each run
// as its own stage of the generator; the peak (the entry's `connections`) is then held for the rest of the
// duration. Stages run one after another and their outcomes are merged into one (merge.ts). Suite entry:
//   { "generator": "flood", "connections": 64, "duration": "10s", "ramp": { "from": 4, "over": "4s", "steps": 4 } }
import { UsageError } from '../../util/errors.js';
import { parseDuration } from '../../util/duration.js';
import type { LoadContext, LoadGenerator, LoadOutcome } from './generator.js';
import { mergeOutcomes } from './merge.js';
import { takeKeys } from './entry-extra.js';

export interface Ramp {
  /** concurrency of the first step */
  from: number;
  /** length of the ramp-up (capped at half the duration, so the peak is always held) */
  overMs: number;
  steps: number;
}

export interface Stage {
  connections: number;
  durationMs: number;
}

/** Takes `ramp` out of a suite entry (so EntryReader checks the rest) and validates it. */
export function takeRamp(where: string, entry: Record<string, unknown>): { ramp: Ramp | null; rest: Record<string, unknown> } {
  const { taken, rest } = takeKeys(entry, ['ramp']);
  const raw = taken.ramp;
  if (raw === undefined) return { ramp: null, rest };
  const w = `${where}.ramp`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UsageError(`${w} must be an object like {"from": 1, "over": "3s", "steps": 4}`);
  const o = raw as Record<string, unknown>;
  const bad = Object.keys(o).find((k) => !['from', 'over', 'steps'].includes(k));
  if (bad) throw new UsageError(`${w}: unknown key "${bad}" (from, over, steps)`);
  const int = (k: string, fallback: number, min: number, max: number): number => {
    const v = o[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new UsageError(`${w}.${k} must be an integer between ${min} and ${max}`);
    return v;
  };
  const over = o.over ?? 0;
  let overMs: number;
  if (typeof over === 'number' && Number.isFinite(over) && over >= 0) overMs = over;
  else if (typeof over === 'string') overMs = parseDuration(over, `${w}.over`);
  else throw new UsageError(`${w}.over must be a duration like "3s"`);
  return { ramp: { from: int('from', 1, 1, 1000), overMs, steps: int('steps', 4, 1, 20) }, rest };
}

/** The stages of a ramp towards `peak` within `durationMs`: `steps` rising steps, then the hold at the peak. */
export function rampStages(ramp: Ramp, peak: number, durationMs: number): Stage[] {
  const over = Math.min(ramp.overMs, Math.floor(durationMs / 2));
  const from = Math.min(ramp.from, peak);
  const stages: Stage[] = [];
  if (over > 0 && from < peak) {
    const stepMs = Math.floor(over / ramp.steps);
    for (let i = 0; i < ramp.steps; i++) {
      const connections = Math.max(1, Math.round(from + ((peak - from) * i) / ramp.steps));
      const last = stages[stages.length - 1];
      if (last && last.connections === connections) last.durationMs += stepMs;
      else stages.push({ connections, durationMs: stepMs });
    }
  }
  const holdMs = durationMs - stages.reduce((s, x) => s + x.durationMs, 0);
  const last = stages[stages.length - 1];
  if (last && last.connections === peak) last.durationMs += holdMs;
  else stages.push({ connections: peak, durationMs: holdMs });
  return stages.filter((s) => s.durationMs > 0);
}

/** Runs a generator's stages in turn (a fresh stage generator each), as one generator. */
export class RampedGenerator implements LoadGenerator {
  private current: LoadGenerator | null = null;
  private doneTotals = { requests: 0, errors: 0 };
  constructor(
    readonly name: string,
    readonly stages: Stage[],
    private readonly makeStage: (stage: Stage) => LoadGenerator,
  ) {}

  live(): { requests: number; errors: number } {
    const now = this.current?.live?.() ?? { requests: 0, errors: 0 };
    return { requests: this.doneTotals.requests + now.requests, errors: this.doneTotals.errors + now.errors };
  }

  async run(ctx: LoadContext): Promise<LoadOutcome> {
    const outcomes: LoadOutcome[] = [];
    for (const stage of this.stages) {
      if (ctx.signal.aborted) break;
      this.current = this.makeStage(stage);
      const o = await this.current.run(ctx);
      outcomes.push(o);
      this.doneTotals.requests += o.stats.requests;
      this.doneTotals.errors += o.stats.errors + o.stats.timeouts;
      this.current = null;
    }
    // percentiles without histograms: the worst stage's (conservative)
    const merged = mergeOutcomes(outcomes, { fallback: 'worst' }, this.name);
    merged.stats.extra = {
      ...merged.stats.extra,
      stages: outcomes.length,
      peakConnections: Math.max(...this.stages.map((s) => s.connections)),
    };
    return merged;
  }
}

/** The generator a factory returns: the plain one, or its ramped version. */
export function withRamp(
  name: string,
  ramp: Ramp | null,
  peak: number,
  durationMs: number,
  make: (stage: Stage) => LoadGenerator,
): LoadGenerator {
  if (!ramp) return make({ connections: peak, durationMs });
  return new RampedGenerator(name, rampStages(ramp, peak, durationMs), make);
}
