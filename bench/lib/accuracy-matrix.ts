// The accuracy benchmark's arithmetic, apart from any process: which cells it runs (subjects × leak class ×
// rate, and each subject clean), and the fold of run outcomes into detection rate, false-positive rate and
// flips, judged by the check each leak class is meant to be caught by. bench/accuracy.ts does the running.
import { FAULTS_BY_STRATEGY } from '../../src/proxy/faults.js';
import type { FaultName, StrategyName } from '../../src/proxy/options.js';

export const LEAK_CLASSES = ['kept-socket', 'kept-fd', 'unreaped', 'orphan', 'stalled-child'] as const;
export type LeakClass = (typeof LEAK_CLASSES)[number];

/** The checks a leak class is meant to fail (any one of them is "caught as intended"). */
export const INTENDED_CHECKS: Record<LeakClass, readonly string[]> = {
  'kept-socket': ['handoff-eof', 'fds-drained', 'sockets-drained'],
  'kept-fd': ['fds-drained', 'sockets-drained'],
  unreaped: ['no-zombies'],
  orphan: ['no-orphans', 'clean-shutdown'],
  'stalled-child': ['children-drained'],
};

/** The reference proxy's canary for each class. */
export const CLASS_FAULT: Record<LeakClass, FaultName> = {
  'kept-socket': 'no-parent-close',
  'kept-fd': 'fd-leak',
  unreaped: 'zombie',
  orphan: 'orphan-on-shutdown',
  'stalled-child': 'child-stall',
};

export type FixtureId = 'c-forking' | 'py-forking' | 'py-stdlib';

export type AccuracySubject =
  | { id: string; kind: 'strategy'; strategy: StrategyName; classes: readonly LeakClass[] }
  | { id: FixtureId; kind: 'fixture'; classes: readonly LeakClass[] };

const strategy = (s: StrategyName): AccuracySubject => ({
  id: s,
  kind: 'strategy',
  strategy: s,
  classes: LEAK_CLASSES.filter((c) => (FAULTS_BY_STRATEGY[s] ?? []).includes(CLASS_FAULT[c])),
});

/** Every subject: each strategy of the reference proxy with the classes its canaries cover, then the fixtures. */
export const ACCURACY_SUBJECTS: readonly AccuracySubject[] = [
  strategy('inline'),
  strategy('per-connection'),
  strategy('prefork'),
  strategy('cluster'),
  strategy('fork'),
  // the seed's model in C and in Python, with the three textbook bugs at a rate
  { id: 'c-forking', kind: 'fixture', classes: ['kept-socket', 'kept-fd', 'unreaped'] },
  { id: 'py-forking', kind: 'fixture', classes: ['kept-socket', 'kept-fd', 'unreaped'] },
  // a stock stdlib ForkingMixIn + http.server: clean runs only
  { id: 'py-stdlib', kind: 'fixture', classes: [] },
];

/** One line of the matrix: a subject clean (leak null) or with one leak class at a rate. */
export interface Cell {
  subject: string;
  leak: LeakClass | null;
  rate: number | null;
}

export const cellKey = (c: Cell): string => (c.leak === null ? `${c.subject}/clean` : `${c.subject}/${c.leak}@${c.rate}`);

export interface MatrixFilter {
  /** subject ids (null: all) */
  subjects: readonly string[] | null;
  /** leak classes, `clean` included (null: all) */
  classes: readonly string[] | null;
  rates: readonly number[];
}

/** Every cell the filter keeps: per subject its clean cell, then each of its classes at each rate. */
export function buildMatrix(subjects: readonly AccuracySubject[], f: MatrixFilter): Cell[] {
  const cells: Cell[] = [];
  const wants = (c: string): boolean => f.classes === null || f.classes.includes(c);
  for (const s of subjects) {
    if (f.subjects !== null && !f.subjects.includes(s.id)) continue;
    if (wants('clean')) cells.push({ subject: s.id, leak: null, rate: null });
    for (const leak of s.classes) if (wants(leak)) for (const rate of f.rates) cells.push({ subject: s.id, leak, rate });
  }
  return cells;
}

/** What one stress run of a cell gave. */
export interface RunOutcome {
  /** the CLI's exit code (null: killed by the bench's timeout) */
  exitCode: number | null;
  /** report.json's verdict, or `error` when there was no report */
  verdict: 'pass' | 'fail' | 'inconclusive' | 'interrupted' | 'error';
  /** ids of the failing checks */
  failed: string[];
  /** requests over every generator */
  requests: number;
  /** connections the target accepted over every generator (a keep-alive flood makes many requests on a few);
   * absent in runs recorded before it was */
  connections?: number;
  /** how long the load ran, rounds included (the evidence floor), ms */
  loadMs: number;
  /** a one-line reason when verdict is `error` */
  error?: string;
}

export interface CellSummary {
  key: string;
  cell: Cell;
  runs: number;
  verdicts: Record<string, number>;
  /** leak cells: runs that failed / failed on an intended check; clean cells: runs that failed (false alarms) */
  fails: number;
  caughtAsIntended: number;
  inconclusive: number;
  errors: number;
  /** leak: fails / runs; null for a clean cell */
  detectionRate: number | null;
  /** leak: fails on an intended check / runs */
  intendedRate: number | null;
  /** clean: fails / runs; null for a leak cell */
  falsePositiveRate: number | null;
  /** runs whose verdict differs from the cell's most frequent one */
  flips: number;
  /** how often each check failed */
  failedChecks: Record<string, number>;
  medianRequests: number;
  /** median connections a run (requests where a run did not record them) */
  medianConnections: number;
  maxLoadMs: number;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function foldCell(cell: Cell, outcomes: readonly RunOutcome[]): CellSummary {
  const verdicts: Record<string, number> = {};
  const failedChecks: Record<string, number> = {};
  let fails = 0;
  let caught = 0;
  const intended = cell.leak === null ? [] : INTENDED_CHECKS[cell.leak];
  for (const o of outcomes) {
    verdicts[o.verdict] = (verdicts[o.verdict] ?? 0) + 1;
    for (const id of o.failed) failedChecks[id] = (failedChecks[id] ?? 0) + 1;
    if (o.verdict !== 'fail') continue;
    fails++;
    if (o.failed.some((id) => intended.includes(id))) caught++;
  }
  const runs = outcomes.length;
  const share = (n: number): number | null => (runs === 0 ? null : n / runs);
  const mostFrequent = Math.max(0, ...Object.values(verdicts));
  return {
    key: cellKey(cell),
    cell,
    runs,
    verdicts,
    fails,
    caughtAsIntended: caught,
    inconclusive: verdicts.inconclusive ?? 0,
    errors: verdicts.error ?? 0,
    detectionRate: cell.leak === null ? null : share(fails),
    intendedRate: cell.leak === null ? null : share(caught),
    falsePositiveRate: cell.leak === null ? share(fails) : null,
    flips: runs - mostFrequent,
    failedChecks,
    medianRequests: median(outcomes.map((o) => o.requests)),
    medianConnections: median(outcomes.map((o) => o.connections ?? o.requests)),
    maxLoadMs: Math.max(0, ...outcomes.map((o) => o.loadMs)),
  };
}

/** How many strikes of a leak its check needs: one new descriptor of a kind is what a lazily opened resource
 * looks like, so a kept descriptor is caught from the second one; every other class on the first. */
export const STRIKES_NEEDED: Record<LeakClass, number> = { 'kept-socket': 1, 'kept-fd': 2, unreaped: 1, orphan: 1, 'stalled-child': 1 };

/** The chance that a leak of `rate` per connection bites fewer than `strikes` times in `connections`
 * (binomial; 0.99^n for 1 % and one strike): no check can catch more than 1 − this. */
export function missProbability(rate: number, connections: number, strikes = 1): number {
  let p = 0;
  let term = (1 - rate) ** connections; // P(exactly 0)
  for (let k = 0; k < strikes && k <= connections; k++) {
    p += term;
    term *= ((connections - k) / (k + 1)) * (rate / (1 - rate));
  }
  return Math.min(1, p);
}

/** Connections a run needs so that a leak of `rate` bites at least once with probability `power`. */
export const connectionsForPower = (rate: number, power: number): number => Math.ceil(Math.log(1 - power) / Math.log(1 - rate));
