// A stress suite: which load to apply, for how long, and the tolerances the checks use. Suites are JSON:
// a name resolves to stress/<name>.json of the package; anything with a slash or ending in .json is a user's file.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { readJsonFile } from '../util/read-json-file.js';
import { parseDuration } from '../util/duration.js';
import { parseSuiteTarget, type SuiteTarget } from './suite-target.js';
import { suiteDir, suiteNames } from './suite-names.js';

export interface Suite {
  name: string;
  description: string;
  /** default load duration of every generator */
  durationMs: number;
  /** default concurrency of every generator */
  connections: number;
  /** baseline: how long the target may take to settle after the warm-up requests */
  warmupMs: number;
  /** drain deadline */
  drainMs: number;
  /** SIGTERM → exit deadline */
  shutdownMs: number;
  /** generator entries: { "generator": "flood" | "churn" | …, …its options } */
  load: Record<string, unknown>[];
  /** error-budget: errors + timeouts + unexpected statuses ≤ max(maxErrors, maxErrorRate × attempts) */
  budget: { maxErrorRate: number; maxErrors: number };
  /** fds-drained tolerance per process */
  fdSlack: number;
  /** no-zombies: how long a descendant may stay a zombie (a parent that reaps once a second is fine) */
  zombieBoundMs: number;
  /** how long the load phase may go on, in rounds, to reach every generator's evidence floor */
  loadCapMs: number;
  /** how much longer than the drain deadline the drain may go on while the tree still converges to rest */
  drainExtensionMs: number;
  /** statuses counted as success (default: any 2xx) */
  expectStatus: number[] | null;
  /** where it was loaded from */
  source: string;
  /** target options the suite needs (suite-target.ts); CLI flags win */
  target?: SuiteTarget;
}

export { suiteDir, suiteNames };

export function loadSuite(nameOrPath: string): Suite {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  const file = isPath ? resolve(nameOrPath) : join(suiteDir(), `${nameOrPath}.json`);
  if (!isPath && !/^[\w.-]+$/.test(nameOrPath)) throw new UsageError(`invalid suite name "${nameOrPath}"`);
  if (!existsSync(file)) {
    throw new UsageError(
      isPath ? `suite file not found: ${file}` : `unknown suite "${nameOrPath}" (available: ${suiteNames().join(', ') || 'none'})`,
    );
  }
  const raw = readJsonFile(file, 'suite');
  return parseSuite(raw, file, isPath ? basename(file, '.json') : nameOrPath);
}

/** Bounds shared with the flags that override a suite (cli/stress.ts). */
export const MIN_SUITE_DURATION_MS = 100;
export const MAX_SUITE_PHASE_MS = 3_600_000;
export const MAX_CONNECTIONS = 1000;

const KEYS = [
  'name',
  'description',
  'duration',
  'connections',
  'warmup',
  'drain',
  'drainExtension',
  'shutdown',
  'load',
  'loadCap',
  'budget',
  'fdSlack',
  'zombieBound',
  'expectStatus',
  'target',
];

export function parseSuite(raw: unknown, source: string, fallbackName: string): Suite {
  const where = `suite ${source}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${where}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KEYS.includes(k));
  if (unknown.length)
    throw new UsageError(
      `${where}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${KEYS.join(', ')})`,
    );
  // the same bounds as the flags that override them (--duration, --connections): a suite file is input too
  const duration = (key: string, fallback: number, minMs = 0): number => {
    const v = o[key];
    let ms: number;
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) ms = v;
    else if (typeof v === 'string') ms = parseDuration(v, `${where}: ${key}`);
    else throw new UsageError(`${where}: ${key} must be a duration like "2s"`);
    if (ms < minMs || ms > MAX_SUITE_PHASE_MS) throw new UsageError(`${where}: ${key} must be between ${minMs}ms and 1h`);
    return ms;
  };
  const int = (v: unknown, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new UsageError(`${where}: ${key} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}`);
    }
    return v;
  };
  if (o.name !== undefined && typeof o.name !== 'string') throw new UsageError(`${where}: name must be a string`);
  if (o.description !== undefined && typeof o.description !== 'string') throw new UsageError(`${where}: description must be a string`);
  if (!Array.isArray(o.load) || o.load.length === 0) throw new UsageError(`${where}: load must be a non-empty array of generator entries`);
  const load = o.load.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new UsageError(`${where}: load[${i}] must be an object`);
    return e as Record<string, unknown>;
  });
  const budgetRaw = o.budget ?? {};
  if (typeof budgetRaw !== 'object' || budgetRaw === null) throw new UsageError(`${where}: budget must be an object`);
  const b = budgetRaw as Record<string, unknown>;
  const badBudgetKey = Object.keys(b).find((k) => k !== 'maxErrorRate' && k !== 'maxErrors');
  if (badBudgetKey) throw new UsageError(`${where}: unknown budget key "${badBudgetKey}" (maxErrorRate, maxErrors)`);
  const rate = b.maxErrorRate ?? 0.01;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
    throw new UsageError(`${where}: budget.maxErrorRate must be a number between 0 and 1`);
  let expectStatus: number[] | null = null;
  if (o.expectStatus !== undefined) {
    if (!Array.isArray(o.expectStatus) || o.expectStatus.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
      throw new UsageError(`${where}: expectStatus must be an array of HTTP status codes`);
    }
    expectStatus = o.expectStatus as number[];
  }
  return {
    name: (o.name as string | undefined) ?? fallbackName,
    description: (o.description as string | undefined) ?? '',
    durationMs: duration('duration', 10_000, MIN_SUITE_DURATION_MS),
    connections: int(o.connections, 'connections', 8, 1, MAX_CONNECTIONS),
    warmupMs: duration('warmup', 1_500),
    drainMs: duration('drain', 5_000),
    shutdownMs: duration('shutdown', 8_000),
    load,
    budget: { maxErrorRate: rate, maxErrors: int(b.maxErrors, 'budget.maxErrors', 0, 0) },
    fdSlack: int(o.fdSlack, 'fdSlack', 4, 0),
    zombieBoundMs: duration('zombieBound', 3_000),
    loadCapMs: duration('loadCap', 30_000),
    drainExtensionMs: duration('drainExtension', 10_000),
    expectStatus,
    source,
    target: parseSuiteTarget(where, o.target),
  };
}
