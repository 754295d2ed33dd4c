import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer delay fires at once, with only a warning. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * "10s", "500ms", "2m", "1.5s" or a bare number of milliseconds → milliseconds, from `minMs` (a timeout of 0
 * would fire at once) up to what a timer can hold.
 */
export function parseDuration(text: string, what = 'duration', minMs = 0): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(text));
  if (!m) throw new UsageError(`invalid ${what} "${text}" (expected e.g. 500ms, 10s, 2m)`);
  const ms = Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
  if (ms > MAX_DURATION_MS) throw new UsageError(`${what} "${text}" is too long (at most 596h, what a timer can hold)`);
  if (ms < minMs) throw new UsageError(`${what} "${text}" is too short (at least ${minMs} ms)`);
  return ms;
}

export function parseCount(text: string, what: string, min = 0): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(String(text)) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`invalid ${what} "${text}" (expected an integer ≥ ${min})`);
  }
  return n;
}
