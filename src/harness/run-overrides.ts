// The run-wide overrides of a suite (--duration, --connections, --drain, --sample-hz, --load-cap, or the same keys in a
// config's "run" section): parsed and bounded in one place, and named in errors the way the user wrote them.
import { UsageError } from '../util/errors.js';
import { parseCount, parseDuration } from '../util/duration.js';
import { MAX_CONNECTIONS, MAX_SUITE_PHASE_MS, MIN_SUITE_DURATION_MS } from './suite.js';

export type RunOverrideKey = 'duration' | 'connections' | 'drain' | 'sampleHz' | 'loadCap';

export interface RunOverrides {
  durationMs?: number;
  connections?: number;
  drainMs?: number;
  sampleHz?: number;
  /** how long the load may go on, in rounds, to reach the evidence floor (0: one round) */
  loadCapMs?: number;
}

export const FLAG_NAMES: Record<RunOverrideKey, string> = {
  duration: '--duration',
  connections: '--connections',
  drain: '--drain',
  sampleHz: '--sample-hz',
  loadCap: '--load-cap',
};

/** --ready-timeout, or a config's target.readyTimeout: how long a target may take to accept (at least 100 ms). */
export function parseReadyTimeout(text: string, name: string): number {
  return parseDuration(text, name, 100);
}

/** Each given text parsed and checked against the suite bounds; `names` says what to call each key in errors. */
export function parseRunOverrides(
  text: Partial<Record<RunOverrideKey, string>>,
  names: Record<RunOverrideKey, string> = FLAG_NAMES,
): RunOverrides {
  const out: RunOverrides = {};
  if (text.duration !== undefined) {
    out.durationMs = parseDuration(text.duration, names.duration);
    if (out.durationMs < MIN_SUITE_DURATION_MS || out.durationMs > MAX_SUITE_PHASE_MS)
      throw new UsageError(`${names.duration} must be between 100ms and 1h`);
  }
  if (text.connections !== undefined) {
    out.connections = parseCount(text.connections, names.connections, 1);
    if (out.connections > MAX_CONNECTIONS) throw new UsageError(`${names.connections} must be at most ${MAX_CONNECTIONS}`);
  }
  if (text.drain !== undefined) {
    out.drainMs = parseDuration(text.drain, names.drain);
    if (out.drainMs > MAX_SUITE_PHASE_MS) throw new UsageError(`${names.drain} must be at most 1h`);
  }
  if (text.sampleHz !== undefined) {
    out.sampleHz = parseCount(text.sampleHz, names.sampleHz, 1);
    if (out.sampleHz > 100) throw new UsageError(`${names.sampleHz} must be between 1 and 100`);
  }
  if (text.loadCap !== undefined) {
    out.loadCapMs = parseDuration(text.loadCap, names.loadCap, 0);
    if (out.loadCapMs > MAX_SUITE_PHASE_MS) throw new UsageError(`${names.loadCap} must be at most 1h`);
  }
  return out;
}
