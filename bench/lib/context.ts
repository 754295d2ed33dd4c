// What every benchmark gets from the runner: where to write, how long to run, how to report progress.
export interface BenchSettings {
  /** tiny configuration for the smoke test: everything runs, nothing is meaningful */
  quick: boolean;
  /** length of one load cell (ms) */
  cellMs: number;
  /** repeats of the whole-system matrix (medians are taken) */
  repeats: number;
  /** concurrency levels of the matrix */
  concurrency: number[];
  /** subject ids to include (null = all) */
  subjects: string[] | null;
}

export interface BenchEnv {
  runId: string;
  /** reports/bench-<id>/ */
  dir: string;
  /** logs of started targets */
  logsDir: string;
  settings: BenchSettings;
  log(message: string): void;
}

/** A tinybench task's latency statistics, reduced to what the report shows. */
export interface LatencyStats {
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
