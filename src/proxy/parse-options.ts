// CLI strings → ProxyOptions, with one clear UsageError per bad value; and back (argv for `handoff serve`). Each
// option is a row of option-table.ts: its parser, its strategies and its argv form are read from there.
import { DEFAULT_PROXY_OPTIONS, type ProxyOptions, type StrategyName } from './options.js';
import { PROXY_FLAG_KEYS, proxyOptionRow, type ProxyFlagKey, type ProxyOptionRow, type PROXY_OPTION_TABLE } from './option-table.js';
import { UsageError } from '../util/errors.js';

export { MAX_CHILDREN, MAX_EAGER_PROCESSES, PROXY_FLAG_KEYS, type ProxyFlagKey } from './option-table.js';

/**
 * The reference proxy's flags as the CLI gives them (commander's camelCase keys, string values; a switch such as
 * --public is true from commander, "true" from a file). What each one is: its row in option-table.ts.
 */
export type RawProxyFlags = {
  [K in ProxyFlagKey]?: (typeof PROXY_OPTION_TABLE)[K]['value'] extends null ? string | boolean : string;
};

export function parseProxyFlags(raw: RawProxyFlags): ProxyOptions {
  const o: ProxyOptions = { ...DEFAULT_PROXY_OPTIONS };
  // in table order: a row's parser may read the rows above it (--fault-rate needs --fault)
  for (const key of PROXY_FLAG_KEYS) {
    const given = raw[key];
    const row = proxyOptionRow(key);
    if (given === undefined || row.parse === undefined) continue;
    // each row's parser takes what RawProxyFlags allows for its key (a switch: string or boolean)
    const value = (row.parse as (given: string | boolean, o: Readonly<ProxyOptions>) => unknown)(given, o);
    if (row.field !== null) (o as unknown as Record<string, unknown>)[row.field] = value;
  }
  assertSparesWithinCap(o);
  return o;
}

/**
 * --spares may not exceed --max-children for the strategies that take both. fork counts spares toward the
 * cap; per-connection starts them on top of it, and a warm pool larger than the cap of busy children is a
 * mistake, not a pool. Checked here so `stress` refuses it before launching anything; each strategy checks
 * again for the programmatic API.
 */
export function assertSparesWithinCap(o: ProxyOptions): void {
  if ((o.strategy === 'per-connection' || o.strategy === 'fork') && o.spares > o.maxChildren) {
    throw new UsageError(
      `--spares ${o.spares} exceeds --max-children ${o.maxChildren} (with --strategy ${o.strategy}, spares are bounded by the cap)`,
    );
  }
}

/** Whether `strategy` uses the row's flag (rows without `strategies` apply to all). */
const applies = (row: ProxyOptionRow, strategy: StrategyName): boolean => row.strategies === undefined || row.strategies.includes(strategy);

/**
 * A flag the user gave that the chosen strategy does not use is a usage error, not a silent no-op
 * (`--strategy inline --workers 4` would otherwise run one loop and look like a result about four).
 * Only for flags the user wrote: a suite's generic target options (a cap for whichever strategy runs it) are
 * not checked.
 */
export function rejectInapplicableFlags(strategy: StrategyName, userFlags: RawProxyFlags): void {
  for (const key of PROXY_FLAG_KEYS) {
    const row = proxyOptionRow(key);
    if (userFlags[key] !== undefined && row.strategies !== undefined && !applies(row, strategy)) {
      throw new UsageError(`${row.flag} does not apply to --strategy ${strategy} (only to ${row.strategies.join(', ')})`);
    }
  }
}

/** ProxyOptions → the argv that `handoff serve` needs to reproduce them (used by the harness). A suite's
 * generic option (a cap) is passed only to a strategy that uses it. */
export function proxyOptionsToArgs(o: ProxyOptions): string[] {
  const a: string[] = [];
  for (const key of PROXY_FLAG_KEYS) {
    const row = proxyOptionRow(key);
    if (row.field === null || !applies(row, o.strategy)) continue;
    if (row.value === null) {
      // a switch: its flag alone, when on
      if (o[row.field]) a.push(row.flag);
      continue;
    }
    if (row.argv === 'never' || (row.argvIf && !row.argvIf(o))) continue;
    const text = row.text ?? String;
    const value = text(o[row.field]);
    if (row.argv === 'always' || value !== text(DEFAULT_PROXY_OPTIONS[row.field])) a.push(row.flag, value);
  }
  return a;
}
