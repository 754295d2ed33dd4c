// comparison.json, schema 1: what `handoff compare` measured, per run and per target. The Markdown and
// HTML comparisons are rendered from it alone.

export const COMPARISON_SCHEMA = 1 as const;

/** One value per run of a target, reduced to median and range. `never` counts runs that never got there. */
export interface Spread {
  /** null: no run gave a value, or (with never > 0) the median run never got there */
  median: number | null;
  min: number | null;
  /** null with never > 0: the slowest run never got there */
  max: number | null;
  /** runs that contributed (including the `never` ones) */
  n: number;
  never: number;
}

/** The headline numbers of one run (taken from its report.json). */
export interface RunMetrics {
  /** completed requests per second, summed over the suite's generators */
  requestsPerSec: number;
  /** errors + timeouts over all generators */
  errors: number;
  requests: number;
  peakChildren: number;
  peakFds: number;
  peakRssBytes: number;
  /** null: the report has no PSS (written before it existed, or the tree's memory maps were unreadable) */
  peakPssBytes: number | null;
  peakCloseWait: number;
  /** null: not quiet before the drain deadline */
  timeToQuietMs: number | null;
  /** check ids that failed (a failure waived by an allow-list is not counted) */
  failedChecks: string[];
  /** latencies null for a generator that got no response */
  perGenerator: Record<
    string,
    { requestsPerSec: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null; errors: number; requests: number }
  >;
}

/** a run's outcome; inconclusive: it could not gather its suite's evidence floor (never a pass, never a leak) */
export type RunStatus = 'pass' | 'fail' | 'inconclusive' | 'not-started' | 'error';

export interface CompareRun {
  /** 1-based position in the execution order */
  order: number;
  target: string;
  /** 1-based repetition */
  rep: number;
  status: RunStatus;
  runId: string | null;
  /** the run's own directory, relative to the comparison directory */
  runDir: string | null;
  /** why a run did not produce a report (not-started, error) */
  message: string | null;
  metrics: RunMetrics | null;
  startedAt: string;
  wallMs: number;
}

export interface TargetSpecSummary {
  label: string;
  kind: 'reference-proxy' | 'command';
  strategy: string | null;
  /** argv of a command target ({port} unreplaced) */
  command: string[] | null;
}

export interface TargetSummary extends TargetSpecSummary {
  verdict: 'pass' | 'fail' | 'inconclusive' | 'not-started' | 'error';
  runs: number;
  passed: number;
  failed: number;
  inconclusive: number;
  notStarted: number;
  errored: number;
  requestsPerSec: Spread;
  /** latency of the comparison's `latencyFrom` generator (percentiles of side-by-side generators do not add up) */
  p50Ms: Spread;
  p99Ms: Spread;
  maxMs: Spread;
  errors: Spread;
  peakChildren: Spread;
  peakFds: Spread;
  peakRssBytes: Spread;
  peakPssBytes: Spread;
  timeToQuietMs: Spread;
  /** failing check ids with the number of runs each failed in */
  leaks: { check: string; runs: number }[];
  perGenerator: Record<string, { requestsPerSec: Spread; p50Ms: Spread; p99Ms: Spread }>;
}

/** One target's timeline (its median-throughput run), times in ms since that run's load started. */
export interface TargetTimeline {
  target: string;
  runId: string;
  loadMs: number;
  points: {
    t: number;
    children: number;
    fds: number;
    rssBytes: number;
    pssBytes: number | null;
    closeWait: number;
    reqRate: number | null;
    cpuPct: number;
  }[];
}

export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  kind: 'handoff-comparison';
  tool: { name: 'handoff'; version: string };
  id: string;
  startedAt: string;
  finishedAt: string;
  suite: string;
  mode: 'proxy' | 'server';
  overrides: { durationMs: number | null; connections: number | null; drainMs: number | null };
  repeat: number;
  /**
   * the generator whose latency fills the headline p50/p99/max: the one that carried the most requests over
   * all runs (the same for every target, so the columns compare like with like); null without responses
   */
  latencyFrom: string | null;
  verdict: 'pass' | 'fail' | 'inconclusive';
  exitCode: number;
  targets: TargetSummary[];
  /** in execution order */
  runs: CompareRun[];
  timelines: TargetTimeline[];
  machine: { cores: number; cpuModel: string; node: string; platform: string };
}
