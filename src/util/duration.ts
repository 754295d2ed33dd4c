import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "10s", "500ms", "2m", "1.5s" or a bare number of milliseconds → milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(text));
  if (!m) throw new UsageError(`invalid ${what} "${text}" (expected e.g. 500ms, 10s, 2m)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
}

export function parseCount(text: string, what: string, min = 0): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(String(text)) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`invalid ${what} "${text}" (expected an integer ≥ ${min})`);
  }
  return n;
}
