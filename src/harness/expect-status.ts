// Which HTTP statuses count as success for a target whose answers are its own (a command in server mode, or
// another proxy): codes and classes, comma-separated — "200,404", "2xx,3xx". Pure.
import { UsageError } from '../util/errors.js';

export function parseExpectStatus(value: string | readonly (string | number)[], name: string): number[] {
  const items = typeof value === 'string' ? value.split(',') : value.map(String);
  const codes = new Set<number>();
  for (const raw of items) {
    const item = raw.trim().toLowerCase();
    const cls = /^([1-5])xx$/.exec(item);
    if (cls) {
      for (let s = Number(cls[1]) * 100; s < Number(cls[1]) * 100 + 100; s++) codes.add(s);
    } else if (/^[1-5]\d\d$/.test(item)) {
      codes.add(Number(item));
    } else {
      throw new UsageError(`${name}: ${JSON.stringify(raw)} is not a status (100-599) or a class (2xx)`);
    }
  }
  if (codes.size === 0) throw new UsageError(`${name}: no status given`);
  return [...codes].sort((a, b) => a - b);
}
