// Reading one generator entry of a suite: typed fields with clear UsageErrors.
import { UsageError } from '../../util/errors.js';
import { parseDuration } from '../../util/duration.js';

export class EntryReader {
  private readonly seen = new Set<string>(['generator', 'name']);
  constructor(
    private readonly where: string,
    private readonly entry: Record<string, unknown>,
  ) {}

  duration(key: string, fallback: number): number {
    this.seen.add(key);
    const v = this.entry[key];
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
    if (typeof v === 'string') return parseDuration(v, `${this.where}.${key}`);
    throw new UsageError(`${this.where}.${key} must be a duration like "2s" or milliseconds`);
  }

  count(key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    this.seen.add(key);
    const v = this.entry[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new UsageError(`${this.where}.${key} must be an integer between ${min} and ${max}`);
    }
    return v;
  }

  /**
   * An entry's connections: the --connections override when given (up to this generator's cap: `--connections 1000`
   * raises the flood without making a 64-connection case generator an error the user never wrote), else its own.
   */
  connections(defaults: { connectionsOverride?: number }, fallback: number, max: number): number {
    const own = this.count('connections', fallback, 1, max);
    return defaults.connectionsOverride !== undefined ? Math.min(defaults.connectionsOverride, max) : own;
  }

  /** One of a fixed set of strings; undefined when absent (the caller decides the default). */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    this.seen.add(key);
    const v = this.entry[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw new UsageError(`${this.where}.${key} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    }
    return v as T;
  }

  /** Rejects keys nobody read: a typo in a suite must not be silently ignored. */
  done(): void {
    const unknown = Object.keys(this.entry).filter((k) => !this.seen.has(k));
    if (unknown.length)
      throw new UsageError(`${this.where}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`);
  }
}
