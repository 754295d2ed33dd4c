// `handoff compare`: the same suite, under the same load, on every target in turn (interleaved when
// repeated), each run a normal stress run with its own directory under <compare-dir>/runs/; then the
// comparison (json, md, html) and the exit code: 0 all passed, 1 a check failed, 2 usage, 3 a target
// did not start, 4 none failed but one was inconclusive (70 an internal error of a run).
import { ensureWritableDirectory } from '../util/ensure-dir.js';
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { makeRunId, runStress, type RunOptions } from '../harness/run.js';
import { stressOptionsFromFlags } from './stress.js';
import { gateOf, loadConfig } from '../config/load.js';
import type { HandoffConfig } from '../config/types.js';
import { gateFinalizer } from '../gate/apply.js';
import { commandShell, type CommandIo } from './watchdog.js';
import type { Report } from '../model/report.js';
import { TargetStartError, UsageError } from '../util/errors.js';
import { version } from '../version.js';
import { runMetrics, runStatusOf } from '../compare/aggregate.js';
import { EXIT } from '../model/report.js';
import { buildComparison } from '../compare/build.js';
import { interleave, parseRepeat, parseStrategyList, planTargets } from '../compare/plan.js';
import { formatCompareSummary } from '../compare/text.js';
import type { CompareRun, Comparison, TargetSpecSummary } from '../compare/types.js';
import { renderCompareMarkdown } from '../compare/markdown.js';
import { parseCompareFormats, writeComparison, type CompareFormat } from '../compare/write.js';

export interface CompareOptions {
  targets: { spec: TargetSpecSummary; run: RunOptions }[];
  repeat: number;
  reportDir: string;
  formats: CompareFormat[];
  suite: string;
  mode: 'proxy' | 'server';
  overrides: Comparison['overrides'];
  /** progress lines; omitted = silent */
  log?: (line: string) => void;
  /** fixed comparison id (tests) */
  id?: string;
}

export interface CompareResult {
  comparison: Comparison;
  dir: string;
  paths: string[];
  /** a run was interrupted (SIGINT/SIGTERM): the comparison stopped there (exit 130) */
  interrupted: boolean;
}

function str(flags: Record<string, unknown>, key: string): string | undefined {
  const v = flags[key];
  return v === undefined || v === false ? undefined : String(v);
}

/**
 * CLI flags (over a handoff.config.json, when given) → comparison options. Every target's run options are built
 * (and so validated) before anything runs. From the config, compare takes what makes the runs alike and judges
 * them — its suites, run settings, ignores, thresholds and allow-list, and the report directory; not its target
 * (compare's targets are --strategy and --cmd) nor its report formats (a comparison has its own).
 */
export function compareOptionsFromFlags(flags: Record<string, unknown>, config: HandoffConfig | null = null): CompareOptions {
  const strategies = parseStrategyList(str(flags, 'strategy'));
  const cmds = flags.cmd === undefined ? [] : Array.isArray(flags.cmd) ? flags.cmd.map(String) : [String(flags.cmd)];
  const specs = planTargets(strategies, cmds);
  const repeat = parseRepeat(str(flags, 'repeat'));
  const formats = parseCompareFormats(str(flags, 'format'));
  const mode = str(flags, 'mode') ?? 'proxy';
  if (mode === 'server' && strategies.length)
    throw new UsageError('--mode server compares command targets only (--cmd); the reference proxy is a proxy');
  // said here in compare's own terms (stress would point at `-- <command>`, which compare does not take)
  if (flags.echo === true && strategies.length)
    throw new UsageError('--echo applies to command targets (--cmd) in --mode server, not to --strategy');
  for (const [key, flag] of [
    ['expectStatus', '--expect-status'],
    ['readyPath', '--ready-path'],
    ['readyLog', '--ready-log'],
  ] as const) {
    if (flags[key] !== undefined && strategies.length)
      throw new UsageError(`${flag} applies to command targets (--cmd), not to --strategy`);
  }
  // the flags every run shares: identical load for every target
  const fromConfig = config?.runFlags ?? {};
  const shared: Record<string, unknown> = {
    suite: str(flags, 'suite') ?? config?.suite ?? 'ci',
    duration: str(flags, 'duration') ?? fromConfig.duration,
    connections: str(flags, 'connections') ?? fromConfig.connections,
    drain: str(flags, 'drain') ?? fromConfig.drain,
    sampleHz: fromConfig.sampleHz,
    ignore: config?.ignores.length ? config.ignores : undefined,
    mode,
    echo: flags.echo === true ? true : undefined,
    expectStatus: str(flags, 'expectStatus'),
    readyTimeout: str(flags, 'readyTimeout'),
    readyPath: str(flags, 'readyPath'),
    readyLog: str(flags, 'readyLog'),
  };
  const gate = config ? gateOf(config) : null;
  const targets = specs.map((spec) => {
    const run =
      spec.kind === 'reference-proxy'
        ? stressOptionsFromFlags({ ...shared, strategy: spec.strategy }, [], config)
        : stressOptionsFromFlags(shared, spec.command!, config);
    // each run is gated as `handoff stress` would gate it with this config
    if (gate) run.finalize = gateFinalizer(gate);
    return { spec, run };
  });
  const first = targets[0].run;
  return {
    targets,
    repeat,
    reportDir: str(flags, 'reportDir') ?? config?.report.dir ?? 'reports',
    formats,
    suite: first.suite.name,
    mode: first.mode,
    overrides: { durationMs: first.durationMs ?? null, connections: first.connections ?? null, drainMs: first.drainMs ?? null },
  };
}

const firstLine = (s: string): string => s.split('\n').find((l) => l.trim()) ?? '';

/** Runs the whole comparison and writes its files. Usage errors surface before the first run. */
export async function runComparison(opts: CompareOptions): Promise<CompareResult> {
  const log = opts.log ?? (() => {});
  const id = opts.id ?? `compare-${makeRunId(opts.suite)}`;
  // before the first run: a report directory that cannot be written would otherwise fail every run, then the end
  const dir = join(ensureWritableDirectory(opts.reportDir, '--report-dir'), id);
  const runsDir = join(dir, 'runs');
  const startedAt = new Date().toISOString();
  const schedule = interleave(opts.targets, opts.repeat);
  const runs: CompareRun[] = [];
  const reports = new Map<number, Report>();
  const didNotStart = new Set<number>();
  let interrupted = false;
  // each run would append its own Markdown to GitHub's step summary: the comparison's goes there instead
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  delete process.env.GITHUB_STEP_SUMMARY;
  try {
    for (const s of schedule) {
      const { spec, run } = s.target;
      const tag = `[${s.order}/${schedule.length} ${spec.label}${opts.repeat > 1 ? ` rep ${s.rep}` : ''}]`;
      const base = { order: s.order, target: spec.label, rep: s.rep, startedAt: new Date().toISOString() };
      if (didNotStart.has(s.targetIndex)) {
        runs.push({
          ...base,
          status: 'not-started',
          runId: null,
          runDir: null,
          message: 'skipped: this target did not start in an earlier run',
          metrics: null,
          wallMs: 0,
        });
        log(`${tag} skipped (did not start earlier)`);
        continue;
      }
      const runId = makeRunId(spec.label);
      const runDir = relative(dir, join(runsDir, runId));
      const t0 = Date.now();
      log(`${tag} …`);
      try {
        const result = await runStress({ ...run, reportDir: runsDir, runId, log: opts.log ? (line) => log(`${tag} ${line}`) : undefined });
        if (result.report.verdict === 'interrupted') {
          // a Ctrl-C or a cancelled job stops the whole comparison, not just this run
          interrupted = true;
          log(`${tag} interrupted: the comparison stops here`);
          break;
        }
        const status = runStatusOf(result.report);
        reports.set(s.order, result.report);
        const metrics = runMetrics(result.report);
        runs.push({ ...base, status, runId, runDir, message: null, metrics, wallMs: Date.now() - t0 });
        log(
          `${tag} ${status.toUpperCase()}${metrics.failedChecks.length ? ` (${metrics.failedChecks.join(', ')})` : ''}, ${metrics.requestsPerSec.toFixed(1)} req/s`,
        );
      } catch (err) {
        if (err instanceof UsageError) throw err;
        const notStarted = err instanceof TargetStartError;
        if (notStarted) didNotStart.add(s.targetIndex);
        const detail = notStarted && err.context.stderr ? ` — ${firstLine(err.context.stderr)}` : '';
        const message = `${(err as Error).message ?? String(err)}${detail}`;
        runs.push({
          ...base,
          status: notStarted ? 'not-started' : 'error',
          runId,
          runDir,
          message,
          metrics: null,
          wallMs: Date.now() - t0,
        });
        log(`${tag} ${notStarted ? 'did not start' : 'internal error'}: ${message}`);
      }
    }
  } finally {
    if (stepSummary !== undefined) process.env.GITHUB_STEP_SUMMARY = stepSummary;
  }

  const cpus = os.cpus();
  const comparison = buildComparison({
    id,
    version,
    startedAt,
    finishedAt: new Date().toISOString(),
    suite: opts.suite,
    mode: opts.mode,
    overrides: opts.overrides,
    repeat: opts.repeat,
    targets: opts.targets.map((t) => t.spec),
    runs,
    reports,
    machine: {
      cores: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
  });
  const paths = writeComparison(comparison, dir, opts.formats);
  if (stepSummary) {
    try {
      appendFileSync(stepSummary, `${renderCompareMarkdown(comparison)}\n`);
    } catch (err) {
      log(`warning: could not append to the step summary ${stepSummary}: ${(err as Error).message}`);
    }
  }
  return { comparison, dir, paths, interrupted };
}

export async function runCompareCommand(flags: Record<string, unknown>, io: CommandIo = {}): Promise<number> {
  return commandShell(io, async (out, err) => {
    const options = compareOptionsFromFlags(flags, loadConfig(flags.config as string | undefined));
    if (!flags.quiet) options.log = (line) => err(`handoff: ${line}\n`);
    const { comparison, paths, interrupted } = await runComparison(options);
    const main = paths.find((p) => p.endsWith('.md')) ?? paths[0];
    const rel = relative(process.cwd(), main);
    const summary = formatCompareSummary(comparison, rel.startsWith('..') ? main : rel);
    // --json: stdout carries the comparison and nothing else
    if (flags.json === true) {
      err(summary);
      out(`${JSON.stringify(comparison, null, 2)}\n`);
    } else out(summary);
    return interrupted ? EXIT.interrupted : comparison.exitCode;
  });
}
