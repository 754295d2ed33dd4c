// Suite-entry fields EntryReader has no reader for (lists, objects): taken out of the entry before EntryReader
// sees the rest, so its unknown-key check still covers every other key.
import { UsageError } from '../../util/errors.js';

export function takeKeys(
  entry: Record<string, unknown>,
  keys: string[],
): { taken: Record<string, unknown>; rest: Record<string, unknown> } {
  // null prototypes: a key named __proto__ stays an own key (and is refused as unknown) instead of becoming the prototype
  const taken: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const rest: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(entry)) (keys.includes(k) ? taken : rest)[k] = v;
  return { taken, rest };
}

export function stringList(where: string, raw: unknown, fallback: string[]): string[] {
  if (raw === undefined) return fallback;
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((x) => typeof x !== 'string')) {
    throw new UsageError(`${where} must be a non-empty array of names`);
  }
  return raw as string[];
}
