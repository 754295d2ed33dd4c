// The typed entry point for code (a test runner, a script): `stress(options)` runs what `handoff stress` runs,
// with the same defaults, the same validation (the options are read as a handoff.config.json would be, so a bad
// value is the same UsageError with the key named), the same config file under them, the same CI gate and the
// same subreaper. It resolves with the verdict and its evidence; it never exits the process.
import type { RunGateOptions } from './options.js';
import { resolve } from 'node:path';
import { gateOf, loadConfig, mergeStressInvocation } from '../config/load.js';
import { parseConfig } from '../config/parse.js';
import type { HandoffConfig } from '../config/types.js';
import { gateFinalizer } from '../gate/apply.js';
import { runStress } from '../harness/run.js';
import { becomeSubreaper } from '../harness/subreaper.js';
import type { CheckResult, Report, Verdict } from '../model/report.js';
import type { FaultName, StrategyName } from '../proxy/options.js';
import type { RawProxyFlags } from '../proxy/parse-options.js';
import { stressOptionsFromFlags } from '../cli/stress.js';

/** a duration as the CLI takes it ("1.5s", "500ms") or milliseconds */
export type Duration = string | number;

type ProxyOptionKey = Exclude<keyof RawProxyFlags, 'port' | 'strategy' | 'fault'>;

export interface StressOptions extends RunGateOptions, Partial<Record<ProxyOptionKey, string | number | readonly string[]>> {
  /** a command target, `{port}` replaced by the port the harness picked; or name `strategy` for the reference proxy */
  command?: string | readonly string[];
  strategy?: StrategyName;
  fault?: FaultName;
  /** proxy (default): load goes through the target as a forward proxy; server: the target is the origin */
  mode?: 'proxy' | 'server';
  echo?: boolean;
  expectStatus?: readonly (number | string)[];
  strictExit?: boolean;
  strictProtocol?: boolean;
  pool?: number;
  cap?: number;
  /** judge a server already running as this pid (docs/attach.md); needs `port`; left running unless `shutdown` */
  attach?: number;
  port?: number;
  shutdown?: boolean;
  nofile?: number;
  readyTimeout?: Duration;
  /** command target: ready once `GET readyPath` answers 2xx (e.g. "/healthz"), within readyTimeout */
  readyPath?: string;
  /** command target: ready once a line of its stdout or stderr matches this regular expression */
  readyLog?: string;
  /** a suite name (stress/ or `suites`) or a suite file; default ci */
  suite?: string;
  suites?: Record<string, string | Record<string, unknown>>;
  duration?: Duration;
  connections?: number;
  drain?: Duration;
  loadCap?: Duration;
  sampleHz?: number;
  /**
   * worker threads of every churn and flood entry (overriding each entry's own "threads"), as --load-threads:
   * 1 to 64; default, per entry, its own or what the machine can spare next to the target (half its cores)
   */
  loadThreads?: number;
  /** another load tool drives the load phase (`{port}` `{url}` … replaced; docs/load-cmd.md); alone unless `suite` is named */
  loadCmd?: string | readonly string[];
  /** loadCmd: stopped at the end of the load phase (duration, default) or waited for (exit) */
  loadUntil?: 'duration' | 'exit';
  /**
   * aborting it stops the run where it is, as a Ctrl-C would: the target's processes are cleaned up and the result
   * is verdict "interrupted" (exit code 130), never a leak
   */
  signal?: AbortSignal;
}

export interface StressResult {
  verdict: Verdict;
  /** the exit code the CLI would give (0 pass, 1 fail, 4 inconclusive, …) */
  exitCode: number;
  passed: boolean;
  /** the checks that did not pass (waived ones excluded) */
  failures: CheckResult[];
  report: Report;
  runDir: string;
  reportPaths: string[];
}

const RUN_KEYS = ['duration', 'connections', 'drain', 'loadCap', 'sampleHz', 'loadCmd', 'loadUntil', 'loadThreads'];
/** run keys that are counts, not durations: a number stays a number */
const COUNT_KEYS = ['connections', 'sampleHz', 'loadThreads'];
const API_KEYS = [
  'suite',
  'suites',
  'thresholds',
  'allowList',
  'ignores',
  'reportDir',
  'formats',
  'config',
  'cwd',
  'log',
  'adoptOrphans',
  'signal',
];

/** The options as the config file they stand for: every key validated by the one config parser. */
function asConfig(options: StressOptions, cwd: string): HandoffConfig {
  // null prototypes: an option named __proto__ stays a key the config parser refuses, not a prototype
  const target: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const run: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const file: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (RUN_KEYS.includes(key)) run[key] = typeof value === 'number' && !COUNT_KEYS.includes(key) ? `${value}ms` : value;
    else if (key === 'readyTimeout') target[key] = typeof value === 'number' ? `${value}ms` : value;
    else if (key === 'reportDir') file.report = { ...(file.report as object), dir: value };
    else if (key === 'formats') file.report = { ...(file.report as object), formats: value };
    else if (['suite', 'suites', 'thresholds', 'allowList', 'ignores'].includes(key)) file[key] = value;
    else if (!API_KEYS.includes(key)) target[key] = value; // the target's keys; an unknown key is refused there, named
  }
  if (Object.keys(target).length) file.target = target;
  if (Object.keys(run).length) file.run = run;
  return parseConfig(file, 'stress()', cwd);
}

export async function stress(options: StressOptions = {}): Promise<StressResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const own = asConfig(options, cwd);
  const fromFile = options.config === false ? parseConfig({}, 'stress()', cwd) : loadConfig(options.config, cwd);
  // the options play the command line's part: they win over the file, and naming a target replaces its target
  const flags: Record<string, unknown> = { ...own.targetFlags, ...own.runFlags };
  if (own.suite) flags.suite = own.suite;
  if (own.report.dir) flags.reportDir = own.report.dir;
  if (own.report.formats) flags.format = own.report.formats.join(',');
  if (own.ignores.length) flags.ignore = own.ignores;
  const merged: HandoffConfig = { ...fromFile, suites: { ...fromFile.suites, ...own.suites } };
  const { flags: all, command } = mergeStressInvocation(merged, flags, own.command ?? []);
  if (all.reportDir === undefined) all.reportDir = resolve(cwd, 'reports');
  const runOptions = stressOptionsFromFlags(all, command, merged);
  const gate = gateOf(merged);
  gate.thresholds = [...gate.thresholds, ...own.thresholds];
  gate.allowList = [...gate.allowList, ...own.allowList];
  runOptions.finalize = gateFinalizer(gate);
  if (options.log) runOptions.log = options.log;
  if (options.signal) runOptions.signal = options.signal;
  if (options.adoptOrphans ?? true) becomeSubreaper();
  const result = await runStress(runOptions);
  const { report } = result;
  return {
    verdict: report.verdict,
    exitCode: report.exitCode,
    passed: report.verdict === 'pass' && report.exitCode === 0,
    failures: report.checks.filter((c) => !c.pass && !c.allowedBy),
    report,
    runDir: result.runDir,
    reportPaths: result.reportPaths,
  };
}
