// report.json, schema 1 (a contract: users' scripts read it): the types every layer shares. Every other format is
// rendered from it; its validator is report/validate.ts.

export const SCHEMA_VERSION = 1 as const;

export const CHECK_IDS = [
  'responses-correct',
  'error-budget',
  'handoff-eof',
  'children-drained',
  'no-zombies',
  'no-orphans',
  'fds-drained',
  'sockets-drained',
  'max-children',
  'clean-shutdown',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** What a failing check points at. `firstSeenMs` is ms since run start (null when unknown). */
export type Evidence =
  | {
      kind: 'process';
      pid: number;
      starttime: number;
      ppid: number;
      state: string;
      cmdline: string;
      firstSeenMs: number | null;
      note?: string;
    }
  | { kind: 'fd'; pid: number; cmdline: string; fd: number; target: string; firstSeenMs: number | null; note?: string }
  | {
      kind: 'socket';
      pid: number | null;
      fd: number | null;
      local: string;
      remote: string;
      state: string;
      inode: number;
      firstSeenMs: number | null;
      note?: string;
    }
  | { kind: 'connection'; generator: string; id: string; detail: string; atMs: number | null }
  | { kind: 'note'; text: string };

export interface CheckResult {
  id: CheckId;
  pass: boolean;
  summary: string;
  evidence: Evidence[];
  /** set when a failure was waived by an allow-list entry */
  allowedBy?: { reason: string; expires: string };
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadStats {
  /** the suite entry's name (the key in Report.load) */
  generator: string;
  /** its generator type (flood, churn, tunnel, abuse, origin-faults, chaos, …); absent in older reports */
  kind?: string;
  durationMs: number;
  requests: number;
  errors: number;
  timeouts: number;
  /** status code (or "none") → count */
  statuses: Record<string, number>;
  latencyMs: LatencySummary;
  /** per generator extras, e.g. churn: noEof, connectP50 */
  extra?: Record<string, number>;
}

export interface Phase {
  /** `run`: the command of `handoff exec` running (it has no baseline, load, drain or shutdown) */
  name: 'start' | 'baseline' | 'load' | 'drain' | 'shutdown' | 'verdict' | 'run';
  /** ms since run start */
  start: number;
  end: number;
}

export interface TimelinePoint {
  t: number;
  children: number;
  zombies: number;
  orphans: number;
  fds: number;
  fdsByKind: { socket: number; pipe: number; file: number; other: number };
  sockets: Record<string, number>;
  rssBytes: number;
  /**
   * Proportional set size of the tree: each resident page charged in equal shares to the processes that map it,
   * so pages a forking server shares with its children count once (RSS counts them in every process). Read at a
   * budgeted rate and carried between reads; null before the first read or when unreadable; absent in reports
   * written before it existed.
   */
  pssBytes?: number | null;
  /** CPU of the whole tree since the previous point, percent of one core */
  cpuPct: number;
  /** completed requests per second across generators since the previous point (when known) */
  reqRate?: number;
  /**
   * Set on a point that folds a bucket of older samples (a long run's timeline is kept bounded): the bucket's width.
   * Each bucket is two points, one with every field's minimum and one with its maximum.
   */
  bucketMs?: number;
}

export interface TargetInfo {
  kind: 'reference-proxy' | 'command';
  mode: 'proxy' | 'server';
  command: string[];
  pid: number | null;
  port: number | null;
  pool: { resident: number; cap: number } | null;
  options?: Record<string, unknown>;
  exit?: { code: number | null; signal: string | null; afterMs: number | null };
}

/**
 * A run's verdict. `inconclusive`: the run could not gather the evidence its suite requires (the evidence floor);
 * never a pass. `interrupted`: the harness was stopped (SIGINT/SIGTERM) before a verdict; never a leak.
 */
export const VERDICTS = ['pass', 'fail', 'inconclusive', 'interrupted'] as const;
/** how an `--attach` root's exit was watched: a pidfd (at once), or /proc every 50 ms where there is none */
export const EXIT_SEEN_BY = ['pidfd', 'proc-poll'] as const;
export type ExitSeenBy = (typeof EXIT_SEEN_BY)[number];
export type Verdict = (typeof VERDICTS)[number];

/**
 * The exit codes of the contract (DESIGN: exit codes), in one place. reportWrite (74, EX_IOERR): the report could
 * not be written (a full disk); the run's cleanup still ran.
 */
export const EXIT = {
  pass: 0,
  fail: 1,
  usage: 2,
  notStarted: 3,
  inconclusive: 4,
  commandFailed: 5,
  internal: 70,
  reportWrite: 74,
  interrupted: 130,
} as const;
/**
 * The codes a report.json can carry (a usage error writes none). commandFailed (5): `handoff exec` found no leak,
 * but the command itself failed (a leak is 1 whatever the command's own status).
 */
export type ReportExitCode =
  | typeof EXIT.pass
  | typeof EXIT.fail
  | typeof EXIT.notStarted
  | typeof EXIT.inconclusive
  | typeof EXIT.commandFailed
  | typeof EXIT.interrupted
  | typeof EXIT.usage;

export interface Report {
  schema: typeof SCHEMA_VERSION;
  tool: { name: 'handoff'; version: string };
  runId: string;
  startedAt: string;
  verdict: Verdict;
  exitCode: ReportExitCode;
  target: TargetInfo;
  suite: string;
  strategy: string | null;
  fault: string | null;
  phases: Phase[];
  checks: CheckResult[];
  load: Record<string, LoadStats>;
  /** pssBytes: the largest tree PSS read (see TimelinePoint.pssBytes); absent in older reports */
  peaks: { children: number; fds: number; rssBytes: number; pssBytes?: number | null; closeWait: number };
  timeToQuietMs: number | null;
  timeline: TimelinePoint[];
  thresholds?: { metric: string; expr: string; value: number | null; pass: boolean }[];
  /** allow-list entries applied by the gate: how many failing evidence items each waived, and whether it expired */
  allowList?: AllowListStatus[];
  machine?: { cores: number; cpuModel: string; node: string; platform: string };
  /**
   * protocol findings of a command target (absent for the reference proxy, whose answers are checked exactly);
   * gated: --strict-protocol made them count against the error budget
   */
  protocol?: { gated: boolean; findings: ProtocolFinding[] };
  /**
   * the evidence each generator gathered against the floor a verdict needs (load ran in rounds until every floor
   * was met or the load cap came): not met and no failure = inconclusive. Absent in older reports.
   */
  evidenceFloor?: { met: boolean; capMs: number; rounds: number; generators: EvidenceCount[] };
  /** why the run stopped before a verdict (verdict `interrupted` only) */
  interruption?: Interruption;
  /** the target's output logs as kept in the run directory (absent in older reports) */
  logs?: { stdout: LogRecord; stderr: LogRecord };
  /** `handoff exec` only: the command's own outcome, kept apart from the leak verdict */
  exec?: ExecOutcome;
  /** `--attach` only: the server was started by someone else; shut down by the harness only when asked */
  attach?: {
    pid: number;
    shutdown: boolean;
    /** how its exit was watched (absent in reports before 2026-12) */
    exitSeenBy?: ExitSeenBy;
  };
}

/** Interruption.signal of a run its API caller aborted (stress({ signal })). */
export const ABORTED = 'abort';

/** What the command of `handoff exec` did itself (its exit is not a leak, and a leak is not its exit). */
export interface ExecOutcome {
  /** exit code, null when killed by a signal (or the interruption came first) */
  code: number | null;
  signal: string | null;
  durationMs: number;
  /** non-zero code or a signal */
  failed: boolean;
  /** how long leftovers were given to exit on their own after the command did */
  graceMs: number;
}

/** An interrupted run: what stopped it, in which phase, and what its cleanup had to kill. */
export interface Interruption {
  /**
   * SIGINT or SIGTERM to the harness; SIGKILL (or another signal) when the harness itself was killed and its
   * supervisor recorded the run; "supervisor-lost" when the supervisor died and the harness stopped by itself;
   * "abort" (ABORTED) when the API's caller aborted the AbortSignal it passed to stress()
   */
  signal: string;
  phase: Phase['name'];
  /** who wrote this report: the harness, or its supervisor after the harness died */
  recordedBy: 'harness' | 'supervisor';
  /** processes of the target the cleanup killed one by one, besides its process group */
  killed: number;
}

/** One of the target's logs (target.stdout.log, target.stderr.log). */
export interface LogRecord {
  /** bytes the target wrote */
  bytes: number;
  /** bytes kept in the file: its head and its tail when it was truncated (a marker line between them) */
  kept: number;
  truncated: boolean;
  /** why logging stopped early (a write error: a full disk), else null */
  error: string | null;
}

/** What one generator gathered: `count` of its unit (responses, connections EOF-timed, tunnels, cases). */
export interface EvidenceCount {
  generator: string;
  unit: string;
  count: number;
  /** the least a verdict needs (0: no floor) */
  floor: number;
  /** what the load aimed for beyond the floor, for power (absent: no aim) */
  aim?: number;
}

/**
 * How a command target answered one scripted case (abusive input, a failed origin) when that differs from what
 * the case expected: a protocol fact, not a cleanup one, reported apart and gated only on request.
 */
export interface ProtocolFinding {
  generator: string;
  case: string;
  expected: string;
  got: string;
  count: number;
  /** the first such exchange (generator-local id) */
  example: string;
}

/** One allow-list entry as the gate applied it (an expired entry waives nothing and fails the run). */
export interface AllowListStatus {
  check: CheckId;
  match: string;
  reason: string;
  expires: string;
  expired: boolean;
  /** failing evidence items this entry matched */
  matched: number;
}
