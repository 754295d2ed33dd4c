// k6-like thresholds: `{ "p99_ms": "<250", "error_rate": "<0.01", "peak_children": "<=64" }`, a metric
// may carry a list of expressions, and load metrics may be narrowed to one generator: `"p99_ms{churn}"`.
// Parsing is strict: an unknown metric, an unknown generator syntax or a malformed expression is a
// UsageError (exit 2), never a threshold that silently passes. A metric with no data fails.
import { UsageError } from '../util/errors.js';
import type { Report } from '../model/report.js';
import { METRICS, METRIC_NAMES, type MetricUnit } from './metrics.js';

export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  /** as written in the config, e.g. "p99_ms{churn}" */
  metric: string;
  name: string;
  generator: string | null;
  /** as written, e.g. "<250ms" */
  expr: string;
  op: Comparator;
  /** the bound in the metric's base unit (ms, bytes, ratio, count …) */
  bound: number;
}

export interface ThresholdResult {
  metric: string;
  expr: string;
  value: number | null;
  pass: boolean;
}

const UNIT_FACTORS: Record<MetricUnit, Record<string, number>> = {
  ms: { '': 1, ms: 1, s: 1000, m: 60_000 },
  bytes: { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 },
  ratio: { '': 1, '%': 0.01 },
  percent: { '': 1, '%': 1 },
  count: { '': 1 },
  rate: { '': 1, '/s': 1 },
};

const EXPR = /^\s*(<=|>=|==|!=|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-z%/]*)\s*$/i;
const METRIC_KEY = /^([a-z0-9_]+)(?:\{([A-Za-z0-9_.:-]+)\})?$/;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function unknownMetric(name: string, where: string): UsageError {
  const near = METRIC_NAMES.filter((m) => editDistance(m, name) <= 3).sort((a, b) => editDistance(a, name) - editDistance(b, name));
  const hint = near.length ? ` (did you mean ${near[0]}?)` : '';
  return new UsageError(`${where}: unknown metric "${name}"${hint}; known metrics: ${METRIC_NAMES.join(', ')}`);
}

/** Parses one expression for a metric; the bound is converted to the metric's base unit. */
export function parseExpression(metric: string, expr: unknown, where = 'thresholds'): Threshold {
  const key = METRIC_KEY.exec(metric);
  if (!key) throw new UsageError(`${where}: invalid metric "${metric}" (expected e.g. p99_ms or p99_ms{churn})`);
  const [, name, generator = null] = key;
  // own keys only: `constructor` or `__proto__` is an unknown metric, not Object.prototype's
  const def = Object.hasOwn(METRICS, name) ? METRICS[name] : undefined;
  if (!def) throw unknownMetric(name, where);
  if (generator !== null && !def.perGenerator)
    throw new UsageError(`${where}: "${name}" is a whole-run metric and cannot be narrowed to {${generator}}`);
  if (typeof expr !== 'string') throw new UsageError(`${where}.${metric}: expected a string like "<250", got ${JSON.stringify(expr)}`);
  const m = EXPR.exec(expr);
  if (!m)
    throw new UsageError(`${where}.${metric}: malformed threshold "${expr}" (expected <, <=, >, >=, == or != and a number, e.g. "<250")`);
  const [, op, number, rawUnit] = m;
  const factors = UNIT_FACTORS[def.unit];
  const factor = Object.hasOwn(factors, rawUnit.toLowerCase()) ? factors[rawUnit.toLowerCase()] : undefined;
  if (factor === undefined) {
    const allowed = Object.keys(factors).filter(Boolean);
    throw new UsageError(
      `${where}.${metric}: unit "${rawUnit}" does not fit a ${def.unit} metric${allowed.length ? ` (use ${allowed.join(', ')} or none)` : ' (give a bare number)'}`,
    );
  }
  const bound = Number(number) * factor;
  if (!Number.isFinite(bound)) throw new UsageError(`${where}.${metric}: "${expr}" is not a finite number`);
  return { metric, name, generator, expr: expr.trim(), op: op as Comparator, bound };
}

/** `{ metric: "<x" | ["<x", ">y"] }` → thresholds, in the order written. */
export function parseThresholds(raw: unknown, where = 'thresholds'): Threshold[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${where}: expected an object like { "p99_ms": "<250" }`);
  const out: Threshold[] = [];
  for (const [metric, value] of Object.entries(raw as Record<string, unknown>)) {
    const list = Array.isArray(value) ? value : [value];
    if (!list.length) throw new UsageError(`${where}.${metric}: empty list of expressions`);
    for (const expr of list) out.push(parseExpression(metric, expr, where));
  }
  return out;
}

export function compare(value: number, op: Comparator, bound: number): boolean {
  switch (op) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '==':
      return value === bound;
    case '!=':
      return value !== bound;
  }
}

/** Evaluates every threshold against a report. A metric without data (null) fails. */
export function evaluateThresholds(report: Report, thresholds: Threshold[]): ThresholdResult[] {
  return thresholds.map((t) => {
    const value = METRICS[t.name].value(report, t.generator);
    const clean = value === null || !Number.isFinite(value) ? null : value;
    return { metric: t.metric, expr: t.expr, value: clean, pass: clean !== null && compare(clean, t.op, t.bound) };
  });
}
