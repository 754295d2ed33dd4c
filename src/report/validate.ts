import {
  CHECK_IDS,
  EXIT,
  EXIT_SEEN_BY,
  SCHEMA_VERSION,
  VERDICTS,
  type AllowListStatus,
  type CheckResult,
  type EvidenceCount,
  type Interruption,
  type LogRecord,
  type ProtocolFinding,
  type Evidence,
  type LatencySummary,
  type LoadStats,
  type Phase,
  type Report,
  type TargetInfo,
  type TimelinePoint,
  type ExecOutcome,
} from '../model/report.js';

// Validation of a report read back from disk (`handoff report <run-dir>`). The renderers trust the types of
// model/report.ts, so a report.json edited by hand or by another tool is checked field by field against them first:
// every field a renderer reads gets the type it needs, or the report is refused before anything is written.
// Each shape below is typed `Fields<T>`, so a field added to one of the interfaces without a rule here is a
// compile error.

/** Checks one value; pushes `path: expected …, got …` into problems. */
type Rule = (value: unknown, path: string, problems: Problems) => void;
type Fields<T> = { [K in keyof T]-?: Rule };

/** Enough problems to explain a bad report; a broken 100 000-point timeline must not produce 100 000 lines. */
const MAX_PROBLEMS = 20;

class Problems {
  readonly list: string[] = [];
  get full(): boolean {
    return this.list.length >= MAX_PROBLEMS;
  }
  add(path: string, expected: string, value: unknown): void {
    if (!this.full) this.list.push(`${path}: expected ${expected}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return value.length > 40 ? `a string ${JSON.stringify(value.slice(0, 40))}…` : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  return `an ${typeof value}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const own = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

/** `load.flood`, `load["a b"]`: keys come from the file, so odd ones are quoted (and cut) to stay on one line. */
function member(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]{0,60}$/.test(key)) return `${path}.${key}`;
  return `${path}[${JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key)}]`;
}

const num: Rule = (v, path, problems) => {
  // JSON has no NaN or Infinity, so any number parsed is finite; the check keeps the rule honest for callers
  if (typeof v !== 'number' || !Number.isFinite(v)) problems.add(path, 'a number', v);
};
const int: Rule = (v, path, problems) => {
  if (!Number.isInteger(v)) problems.add(path, 'an integer', v);
};
const str: Rule = (v, path, problems) => {
  if (typeof v !== 'string') problems.add(path, 'a string', v);
};
const bool: Rule = (v, path, problems) => {
  if (typeof v !== 'boolean') problems.add(path, 'true or false', v);
};
const anyObject: Rule = (v, path, problems) => {
  if (!isObject(v)) problems.add(path, 'an object', v);
};
const orNull =
  (rule: Rule): Rule =>
  (v, path, problems) => {
    if (v !== null) rule(v, path, problems);
  };
const optional =
  (rule: Rule): Rule =>
  (v, path, problems) => {
    if (v !== undefined) rule(v, path, problems);
  };
const oneOf = (values: readonly (string | number)[]): Rule => {
  const expected = values
    .map((x) => JSON.stringify(x))
    .join(', ')
    .replace(/, ([^,]*)$/, ' or $1');
  return (v, path, problems) => {
    if (!values.includes(v as string | number)) problems.add(path, expected, v);
  };
};
const arrayOf =
  (rule: Rule): Rule =>
  (v, path, problems) => {
    if (!Array.isArray(v)) return problems.add(path, 'an array', v);
    for (let i = 0; i < v.length && !problems.full; i++) rule(v[i], `${path}[${i}]`, problems);
  };
const recordOf =
  (rule: Rule): Rule =>
  (v, path, problems) => {
    if (!isObject(v)) return problems.add(path, 'an object', v);
    for (const key of Object.keys(v)) {
      if (problems.full) return;
      rule(v[key], member(path, key), problems);
    }
  };
const shape =
  <T>(fields: Fields<T>): Rule =>
  (v, path, problems) => {
    if (!isObject(v)) return problems.add(path, 'an object', v);
    for (const [key, rule] of Object.entries(fields) as [string, Rule][]) rule(own(v, key), member(path, key), problems);
  };

type EvidenceKind = Evidence['kind'];
const EVIDENCE_FIELDS: { [K in EvidenceKind]: Fields<Extract<Evidence, { kind: K }>> } = {
  process: { kind: str, pid: int, starttime: num, ppid: int, state: str, cmdline: str, firstSeenMs: orNull(num), note: optional(str) },
  fd: { kind: str, pid: int, cmdline: str, fd: int, target: str, firstSeenMs: orNull(num), note: optional(str) },
  socket: {
    kind: str,
    pid: orNull(int),
    fd: orNull(int),
    local: str,
    remote: str,
    state: str,
    inode: num,
    firstSeenMs: orNull(num),
    note: optional(str),
  },
  connection: { kind: str, generator: str, id: str, detail: str, atMs: orNull(num) },
  note: { kind: str, text: str },
};
const EVIDENCE_KINDS = Object.keys(EVIDENCE_FIELDS) as EvidenceKind[];
const evidenceKind = oneOf(EVIDENCE_KINDS);
const EVIDENCE_SHAPES = Object.fromEntries(EVIDENCE_KINDS.map((k) => [k, shape(EVIDENCE_FIELDS[k] as Record<string, Rule>)])) as Record<
  EvidenceKind,
  Rule
>;

const evidence: Rule = (v, path, problems) => {
  if (!isObject(v)) return problems.add(path, 'an object', v);
  const kind = own(v, 'kind');
  if (!EVIDENCE_KINDS.includes(kind as EvidenceKind)) return evidenceKind(kind, `${path}.kind`, problems);
  EVIDENCE_SHAPES[kind as EvidenceKind](v, path, problems);
};

const checkResult = shape<CheckResult>({
  id: oneOf(CHECK_IDS),
  pass: bool,
  summary: str,
  evidence: arrayOf(evidence),
  allowedBy: optional(shape<NonNullable<CheckResult['allowedBy']>>({ reason: str, expires: str })),
});

const loadStats = shape<LoadStats>({
  generator: str,
  kind: optional(str),
  durationMs: num,
  requests: num,
  errors: num,
  timeouts: num,
  statuses: recordOf(num),
  latencyMs: shape<LatencySummary>({ p50: num, p90: num, p99: num, max: num, mean: num }),
  extra: optional(recordOf(num)),
});

const PHASE_NAMES: readonly Phase['name'][] = ['start', 'baseline', 'load', 'drain', 'shutdown', 'verdict', 'run'];

// A sampled value the sampler could not compute is drawn as a gap (null), so the series values may be null.
const sample = orNull(num);
const timelinePoint = shape<TimelinePoint>({
  t: num,
  children: sample,
  zombies: sample,
  orphans: sample,
  fds: sample,
  fdsByKind: shape<TimelinePoint['fdsByKind']>({ socket: sample, pipe: sample, file: sample, other: sample }),
  sockets: recordOf(sample),
  rssBytes: sample,
  pssBytes: optional(sample),
  cpuPct: sample,
  reqRate: optional(sample),
  bucketMs: optional(num),
});

const logRecord = shape<LogRecord>({ bytes: num, kept: num, truncated: bool, error: orNull(str) });

const targetInfo = shape<TargetInfo>({
  kind: oneOf(['reference-proxy', 'command'] satisfies TargetInfo['kind'][]),
  mode: oneOf(['proxy', 'server'] satisfies TargetInfo['mode'][]),
  command: arrayOf(str),
  pid: orNull(int),
  port: orNull(int),
  pool: orNull(shape<NonNullable<TargetInfo['pool']>>({ resident: num, cap: num })),
  options: optional(anyObject),
  exit: optional(shape<NonNullable<TargetInfo['exit']>>({ code: orNull(int), signal: orNull(str), afterMs: orNull(num) })),
});

const reportShape = shape<Report>({
  schema: oneOf([SCHEMA_VERSION]),
  tool: shape<Report['tool']>({ name: oneOf(['handoff']), version: str }),
  runId: str,
  startedAt: str,
  verdict: oneOf(VERDICTS),
  exitCode: oneOf([
    EXIT.pass,
    EXIT.fail,
    EXIT.usage,
    EXIT.notStarted,
    EXIT.inconclusive,
    EXIT.commandFailed,
    EXIT.interrupted,
  ] satisfies Report['exitCode'][]),
  target: targetInfo,
  suite: str,
  strategy: orNull(str),
  fault: orNull(str),
  phases: arrayOf(shape<Phase>({ name: oneOf(PHASE_NAMES), start: num, end: num })),
  checks: arrayOf(checkResult),
  load: recordOf(loadStats),
  peaks: shape<Report['peaks']>({ children: num, fds: num, rssBytes: num, pssBytes: optional(orNull(num)), closeWait: num }),
  timeToQuietMs: orNull(num),
  timeline: arrayOf(timelinePoint),
  thresholds: optional(
    arrayOf(shape<NonNullable<Report['thresholds']>[number]>({ metric: str, expr: str, value: orNull(num), pass: bool })),
  ),
  allowList: optional(
    arrayOf(shape<AllowListStatus>({ check: oneOf(CHECK_IDS), match: str, reason: str, expires: str, expired: bool, matched: num })),
  ),
  machine: optional(shape<NonNullable<Report['machine']>>({ cores: num, cpuModel: str, node: str, platform: str })),
  protocol: optional(
    shape<NonNullable<Report['protocol']>>({
      gated: bool,
      findings: arrayOf(shape<ProtocolFinding>({ generator: str, case: str, expected: str, got: str, count: num, example: str })),
    }),
  ),
  evidenceFloor: optional(
    shape<NonNullable<Report['evidenceFloor']>>({
      met: bool,
      capMs: num,
      rounds: num,
      generators: arrayOf(shape<EvidenceCount>({ generator: str, unit: str, count: num, floor: num, aim: optional(num) })),
    }),
  ),
  interruption: optional(
    shape<Interruption>({
      signal: str,
      phase: oneOf(PHASE_NAMES),
      recordedBy: oneOf(['harness', 'supervisor'] satisfies Interruption['recordedBy'][]),
      killed: num,
    }),
  ),
  logs: optional(shape<NonNullable<Report['logs']>>({ stdout: logRecord, stderr: logRecord })),
  exec: optional(shape<ExecOutcome>({ code: orNull(int), signal: orNull(str), durationMs: num, failed: bool, graceMs: num })),
  attach: optional(shape<NonNullable<Report['attach']>>({ pid: int, shutdown: bool, exitSeenBy: optional(oneOf(EXIT_SEEN_BY)) })),
});

/**
 * What is wrong with a value read from a report.json, as one line per problem (`load.flood.latencyMs: expected
 * an object, got nothing (missing)`), at most MAX_PROBLEMS of them; empty when it is a report of this schema
 * that every renderer can draw. A foreign file (not an object, another tool, another schema) gets just that one
 * problem. Pure. Fields the types do not name are allowed (a newer handoff may add optional ones).
 */
export function reportProblems(value: unknown): string[] {
  if (!isObject(value)) return [`not a JSON object (${describe(value)})`];
  const tool = own(value, 'tool');
  if (!isObject(tool) || own(tool, 'name') !== 'handoff') return ['tool.name is not "handoff"'];
  const schema = own(value, 'schema');
  if (schema !== SCHEMA_VERSION) return [`schema ${JSON.stringify(schema) ?? 'missing'}, this handoff reads schema ${SCHEMA_VERSION}`];
  const problems = new Problems();
  reportShape(value, '', problems);
  // shape() names top-level fields ".runId"; drop the leading dot
  return problems.list.map((p) => p.replace(/^\./, ''));
}

/** True when reportProblems finds nothing. */
export const isReport = (value: unknown): value is Report => reportProblems(value).length === 0;
