// One stress run, phase by phase: start → baseline → load → drain → shutdown → verdict → cleanup → report.
// runStress reads as that sequence; each phase's work is in phases/ (its polls through util/poll.ts). Over ~300
// lines because runStress keeps in one closure what every path shares: phase bookkeeping, interruption, cleanup.
// Whatever happens — a verdict, an error, an interruption (interrupt.ts) — the same sweep (sweep.ts) ends the
// target's group and every leftover of the run before the report is written and runStress returns or throws.
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Phase, Report } from '../model/report.js';
import { ensureWritableDirectory } from '../util/ensure-dir.js';
import { ReportWriteError, TargetStartError, UsageError } from '../util/errors.js';
import { writeReports, type ReportFormat } from '../report/write.js';
import { redactReport } from '../report/redact.js';
import { basicAuthorization } from '../proxy/credentials.js';
import type { RunObservations, ShutdownObservation, Tolerances } from './checks/observations.js';
import { createGenerator } from './load/index.js';
import type { LoadGenerator } from './load/generator.js';
import { startOrigin, type Origin } from './origin/server.js';
import type { Sampler } from './probes/sampler.js';
import { isSubreaper } from './subreaper.js';
import { watchInterrupts } from './interrupt.js';
import { interruptedReport, plannedTargetInfo } from './interrupted-report.js';
import { tellSupervisor } from './supervisor.js';
import { RequestCountRecorder } from './request-rate.js';
import type { ProcessSnapshot } from './probes/types.js';
import type { Suite } from './suite.js';
import { allowEchoPort } from './suite-target.js';
import type { RunProgress } from '../cli/progress.js';
import { launchTarget, type Target, type TargetSpec } from './target.js';
import { takeBaseline } from './phases/baseline.js';
import { drainTarget } from './phases/drain.js';
import { loadContext, runLoad } from './phases/load.js';
import { baseObservations } from './phases/quiet.js';
import type { RunScope } from './phases/scope.js';
import { shutdownTarget } from './phases/shutdown.js';
import { recordStartFailure, startSampler } from './phases/start.js';
import { buildReport, judge, runObservations } from './phases/verdict.js';

export { isQuiet } from './phases/quiet.js';

export interface RunOptions {
  target: TargetSpec;
  mode: 'proxy' | 'server';
  /** server mode: the target echoes the request path, so tokens are checked */
  echo: boolean;
  suite: Suite;
  /** overrides of the suite */
  durationMs?: number;
  connections?: number;
  drainMs?: number;
  /** overrides the suite's loadCap: how long the load may go on, in rounds, to reach the evidence floor */
  loadCapMs?: number;
  reportDir: string;
  /** report formats besides json (always written) */
  formats?: ReportFormat[];
  strictExit: boolean;
  /** a command target's answers to scripted cases count against the error budget instead of being reported apart */
  strictProtocol?: boolean;
  /** cmdline patterns of processes to leave out of every check */
  ignore: RegExp[];
  sampleHz: number;
  /** report labels */
  strategy: string | null;
  fault: string | null;
  /** last word on the report before it is written (the CI gate: allow-list, thresholds) */
  finalize?: (report: Report) => Report;
  /** progress lines (stderr in the CLI); omitted = silent */
  log?: (line: string) => void;
  /** warnings that must be seen even when progress is off (--quiet): the latest pointer not updated; default log */
  warn?: (line: string) => void;
  /** live progress per phase (progress.ts); when set, it announces the phases instead of log */
  progress?: RunProgress;
  /** aborting it interrupts the run as SIGINT would (interrupt.ts): cleaned up, recorded as interrupted */
  signal?: AbortSignal;
  /** fixed run id (tests); default: sortable timestamp + label + random */
  runId?: string;
}

export interface RunResult {
  report: Report;
  runDir: string;
  /** files the report writer produced */
  reportPaths: string[];
  /** what the checks judged; null for an interrupted run */
  observations: RunObservations | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Thrown into a run's waits when it is interrupted: the run stops where it is. */
class RunInterrupted extends Error {
  constructor() {
    super('run interrupted');
  }
}

export function makeRunId(label: string, at = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  const safe =
    label
      .replace(/[^\w.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'run';
  return `${stamp}-${safe}-${randomBytes(2).toString('hex')}`;
}

export async function runStress(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const suite = opts.suite;
  const attach = opts.target.kind === 'command' ? opts.target.attach : undefined;
  const label = [opts.strategy ?? (attach ? 'attach' : opts.target.kind === 'command' ? 'command' : 'proxy'), opts.fault]
    .filter(Boolean)
    .join('-');
  const runId = opts.runId ?? makeRunId(label);
  const reportDir = ensureWritableDirectory(opts.reportDir, '--report-dir');
  const runDir = join(reportDir, runId);
  mkdirSync(runDir, { recursive: true });
  const startedAt = new Date();
  const t0 = performance.now();
  const clock = (): number => performance.now() - t0;
  const warn = opts.warn ?? ((m: string) => log(`warning: ${m}`));
  const phases: Phase[] = [];
  let current: Phase['name'] = 'start';
  let currentStart = 0;
  const interrupts = watchInterrupts(() => current, log, opts.signal);
  /** p, or RunInterrupted as soon as the run is interrupted (p goes on unobserved: its waits end too) */
  const untilInterrupted = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      p.then(resolve, reject);
      void interrupts.interrupted.then(() => reject(new RunInterrupted()));
    });
  // the run's own waits end at once when it is interrupted
  const wait = (ms: number): Promise<void> => untilInterrupted(sleep(ms));
  const phase = async <T>(name: Phase['name'], fn: () => Promise<T>): Promise<T> => {
    const start = clock();
    current = name;
    currentStart = Math.round(start);
    tellSupervisor({ type: 'phase', runId, phases, current, at: currentStart });
    if (opts.progress)
      opts.progress.phase(name, name === 'load' ? durationMs : name === 'drain' ? drainMs : name === 'shutdown' ? suite.shutdownMs : null);
    else log(`${name} …`);
    try {
      return await untilInterrupted(fn());
    } finally {
      phases.push({ name, start: Math.round(start), end: Math.round(clock()) });
    }
  };
  const tolerances: Tolerances = {
    fdSlack: suite.fdSlack,
    maxErrorRate: suite.budget.maxErrorRate,
    maxErrors: suite.budget.maxErrors,
    zombieBoundMs: suite.zombieBoundMs,
  };
  const drainMs = opts.drainMs ?? suite.drainMs;
  const loadCapMs = opts.loadCapMs ?? suite.loadCapMs;
  const durationMs = opts.durationMs ?? suite.durationMs;
  const connections = opts.connections ?? suite.connections;
  // build generators first: a bad suite entry is a usage error before anything starts
  const generators: LoadGenerator[] = suite.load.map((e, i) =>
    createGenerator(
      opts.durationMs !== undefined ? withDuration(e, opts.durationMs) : e,
      { durationMs, connections, connectionsOverride: opts.connections },
      i,
    ),
  );
  const names = new Set<string>();
  for (const g of generators) {
    if (names.has(g.name)) throw new UsageError(`suite ${suite.name}: two load entries named "${g.name}" (give one a "name")`);
    names.add(g.name);
  }

  let origin: Origin | null = null;
  let target: Target | null = null;
  let launching: Promise<Target> | null = null;
  let sampler: Sampler | null = null;
  let requestCounts: RequestCountRecorder | null = null;
  const stopLoad = new AbortController();
  // one stop for every generator and every exchange in flight (raw cases run side by side): not a listener leak
  setMaxListeners(0, stopLoad.signal);
  interrupts.signal.addEventListener('abort', () => stopLoad.abort(), { once: true });
  const planned = plannedTargetInfo(opts.target, opts.mode);
  const interruptedBase = { opts, runId, startedAt, suite: suite.name };
  // what the supervisor writes should this process die outright mid-run
  tellSupervisor({
    type: 'run',
    runId,
    runDir,
    formats: opts.formats ?? ['json'],
    report: interruptedReport({ ...interruptedBase, target: planned, phases: [], stop: { signal: 'SIGKILL', phase: 'start' }, killed: 0 }),
  });

  const body = async (): Promise<{ report: Report; observations: RunObservations }> => {
    log(`run ${runId} (${runDir})`);
    // start: the origin, the target, the sampler
    const started = await startOrigin();
    // interrupted while the origin started: the cleanup may have run already (origin still null), so close it here
    // (the CLI exits at once after an interruption; an API caller's process must not keep the origin listening)
    if (interrupts.state()) {
      await started.close();
      throw new RunInterrupted();
    }
    origin = started;
    const spec = allowEchoPort(opts.target, suite.load, origin.echoPort);
    launching = launchTarget(spec, {
      runId,
      runDir,
      signal: interrupts.signal,
      onSpawn: (pid, starttime) => tellSupervisor({ type: 'root', runId, pid, starttime }),
    }).catch((err: unknown) => {
      // a start ended by an interruption is not the target's failure to start
      if (err instanceof TargetStartError && !interrupts.state()) recordStartFailure(err, opts, runId, startedAt, runDir, warn);
      throw err;
    });
    const launched = launching;
    target = await phase('start', () => launched);
    log(`target pid ${target.pid} listening on ${target.host}:${target.port}${target.pool ? ` pool ${JSON.stringify(target.pool)}` : ''}`);
    const tgt = target;
    // children of ours that are not the target's: the root itself and the guardian
    const ownChildren = new Set([tgt.pid, ...tgt.helperPids]);
    // process groups of load tools the harness started (--load-cmd): what they orphan is theirs, not the target's
    const loadGroups = new Set<number>();
    sampler = startSampler(tgt, { runId, sampleHz: opts.sampleHz, ignore: opts.ignore, clock, ownChildren, loadGroups });
    const smp = sampler;
    const liveLoad = (): { requests: number; errors: number } =>
      generators.reduce(
        (a, g) => {
          const l = g.live?.();
          return l ? { requests: a.requests + l.requests, errors: a.errors + l.errors } : a;
        },
        { requests: 0, errors: 0 },
      );
    opts.progress?.watch({ load: liveLoad, sample: () => smp.latest() });
    requestCounts = new RequestCountRecorder(() => liveLoad().requests, clock);
    requestCounts.start();
    const targetFacts: RunObservations['target'] = {
      kind: tgt.kind,
      rootPid: tgt.pid,
      pool: tgt.pool,
      strictExit: opts.strictExit,
      adoptsOrphans: isSubreaper(),
      ...(attach ? { attached: true } : {}),
    };
    const scope: RunScope = { suite, clock, wait, sampler: smp, target: tgt, origin, targetFacts, tolerances, drainMs };

    // baseline: a couple of requests so lazily opened resources exist, then the resting state
    const warmupAuth =
      opts.target.kind === 'reference-proxy' && opts.target.proxy.auth ? basicAuthorization(opts.target.proxy.auth) : undefined;
    const { sample: baseline, children: baselineChildren } = await phase('baseline', () => takeBaseline(scope, opts.mode, warmupAuth));

    // load
    let earlyShutdown: Promise<ShutdownObservation> | null = null;
    const ctx = loadContext(scope, {
      opts,
      runId,
      runDir,
      stop: stopLoad,
      responses: () => liveLoad().requests,
      ownChild: (pid) => {
        ownChildren.add(pid);
        loadGroups.add(pid);
      },
      // chaos: SIGTERM under load; the shutdown phase then judges this shutdown. The load stops as the signal
      // goes out: connections refused by a closing listener say nothing about the target.
      terminateTarget: async () => {
        earlyShutdown ??= shutdownTarget(tgt, smp, suite.shutdownMs, clock);
        stopLoad.abort();
        await earlyShutdown;
      },
    });
    let loading = true;
    void tgt.exited.then(() => {
      if (loading && !stopLoad.signal.aborted) {
        log('target exited during load: stopping load');
        stopLoad.abort();
      }
    });
    const { outcomes, evidenceFloor } = await phase('load', () => runLoad(generators, ctx, loadCapMs, () => earlyShutdown !== null));
    loading = false;
    const loadEnd = clock();

    // drain
    const base = { ...baseObservations(targetFacts, baseline, tolerances, smp, drainMs), baselineChildren };
    const drained = await phase('drain', () => drainTarget(scope, base, loadEnd));
    const drainEnd = clock();
    const timeToQuietMs = drained.quietAt === null ? null : Math.max(0, Math.round(drained.quietAt - loadEnd));
    log(drained.quietAt === null ? `not quiet within ${drainMs} ms` : `quiet ${timeToQuietMs} ms after load`);

    // shutdown
    const orphansDuringRun = smp.orphansSeen();
    // --attach without --shutdown: the server is someone else's and keeps running
    const leftRunning = attach !== undefined && !attach.shutdown && tgt.exit() === null;
    const shutdown = await phase(
      'shutdown',
      async () =>
        earlyShutdown ??
        (leftRunning
          ? { signalAtMs: null, deadlineMs: 0, exit: null, diedEarly: false, leftovers: [], escalated: false, skipped: true }
          : shutdownTarget(tgt, smp, suite.shutdownMs, clock)),
    );
    smp.stop();

    // verdict and report
    const observations = runObservations({
      base,
      drained,
      timeToQuietMs,
      loadEnd,
      drainEnd,
      drainMs,
      sampler: smp,
      orphansDuringRun,
      shutdown,
      outcomes,
    });
    const checks = await phase('verdict', async () => judge(observations));
    const report = buildReport({
      opts,
      runId,
      startedAt,
      target: tgt,
      phases,
      checks,
      outcomes,
      timeToQuietMs,
      sampler: smp,
      shutdown,
      requestCounts: requestCounts.series,
      evidenceFloor,
    });
    if (smp.errors > 0) log(`sampler: ${smp.errors} sampling errors (last: ${String(smp.lastError)})`);
    // no credential in anything shown of the run (reports, summaries)
    const credentials = opts.target.kind === 'reference-proxy' ? [opts.target.proxy.auth] : [];
    const final = redactReport(opts.finalize ? opts.finalize(report) : report, credentials);
    return { report: final, observations };
  };

  let outcome: { report: Report; observations: RunObservations } | null = null;
  let failure: unknown = null;
  try {
    outcome = await untilInterrupted(body());
  } catch (err) {
    failure = err;
  }
  // a run that reached its verdict keeps it, even if a signal came during the cleanup below
  const stop = outcome === null ? interrupts.state() : null;
  if (stop) tellSupervisor({ type: 'interrupted', runId });
  try {
    // the cleanup: the same on every path
    stopLoad.abort();
    (sampler as Sampler | null)?.stop();
    (requestCounts as RequestCountRecorder | null)?.stop();
    // a start that was interrupted sweeps its own target as it gives up
    if (!target && launching) target = await (launching as Promise<Target>).catch(() => null);
    const smp = sampler as Sampler | null;
    const tgt = target as Target | null;
    const swept = tgt ? await tgt.sweep({ graceMs: 500, known: () => knownProcesses(smp) }) : null;
    const logs = tgt ? await tgt.dispose() : undefined;
    await (origin as Origin | null)?.close();

    if (stop) {
      const report = interruptedReport({
        ...interruptedBase,
        target: tgt ? { ...planned, command: tgt.argv, pid: tgt.pid, port: tgt.port } : planned,
        phases: [
          ...phases,
          ...(phases.some((p) => p.name === current) ? [] : [{ name: current, start: currentStart, end: Math.round(clock()) }]),
        ],
        stop,
        killed: swept?.killed.filter((p) => p.pgrp !== tgt?.pid).length ?? 0,
        sampler: smp,
        logs,
      });
      log(`interrupted (${stop.signal}) during ${stop.phase}: recorded in ${runDir}`);
      // not a verdict: `latest` keeps pointing at the last judged run
      const reportPaths = await writeRunReports(report, runDir, opts.formats ?? ['json'], { latest: false, warn });
      return { report, runDir, reportPaths, observations: null };
    }
    if (failure !== null) throw failure;
    const final = logs ? { ...outcome!.report, logs } : outcome!.report;
    // writes the formats and points <report-dir>/latest at this run
    const reportPaths = await writeRunReports(final, runDir, opts.formats ?? ['json'], { warn });
    return { report: final, runDir, reportPaths, observations: outcome!.observations };
  } finally {
    tellSupervisor({ type: 'done', runId });
    interrupts.dispose();
  }
}

/** The processes the sampler last saw in the target's tree (the sweep kills them by identity). */
function knownProcesses(sampler: Sampler | null): ProcessSnapshot[] {
  if (!sampler) return [];
  try {
    const s = sampler.sampleNow();
    return [...s.tree, ...s.orphans];
  } catch {
    return [];
  }
}

/** writeReports, with a failure (a full disk) as one line and its own exit code: the cleanup has already run. */
export async function writeRunReports(
  report: Report,
  runDir: string,
  formats: ReportFormat[],
  options: { latest?: boolean; warn: (m: string) => void },
): Promise<string[]> {
  try {
    return await writeReports(report, runDir, formats, options);
  } catch (err) {
    throw new ReportWriteError(
      `could not write the report in ${runDir}: ${(err as Error).message} (the run's cleanup ran; verdict was ${report.verdict})`,
    );
  }
}

function withDuration(entry: Record<string, unknown>, durationMs: number): Record<string, unknown> {
  return { ...entry, duration: durationMs };
}
