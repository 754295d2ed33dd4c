// One stress run, phase by phase: start → baseline → load → drain → shutdown → verdict → cleanup → report.
// Whatever happens — a verdict, an error, an interruption (interrupt.ts) — the same sweep (sweep.ts) ends the
// target's group and every leftover of the run before the report is written and runStress returns or throws.
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { ensureWritableDirectory } from '../util/ensure-dir.js';
import http from 'node:http';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CheckResult, LoadStats, Phase, Report, TargetInfo } from '../model/report.js';
import { EXIT } from '../model/report.js';
import { version } from '../version.js';
import { ReportWriteError, TargetStartError, UsageError } from '../util/errors.js';
import { writeStartFailure } from '../report/start-failure.js';
import { writeReports, type ReportFormat } from '../report/write.js';
import { redactReport } from '../report/redact.js';
import { basicAuthorization, redactArgv, redactSecrets } from '../proxy/credentials.js';
import { evaluateAll } from './checks/index.js';
import { childrenDrained } from './checks/children-drained.js';
import { fdsDrained } from './checks/fds-drained.js';
import { noZombies } from './checks/no-zombies.js';
import { socketsDrained } from './checks/sockets-drained.js';
import type { RunObservations, ShutdownObservation, Tolerances } from './checks/observations.js';
import { excessOf, hasYoungZombie, stillConverging, type ExcessPoint } from './drain.js';
import { createGenerator } from './load/index.js';
import { evidenceCounts, runRounds } from './load/rounds.js';
import type { LoadContext, LoadGenerator, LoadOutcome } from './load/generator.js';
import { startOrigin, type Origin } from './origin/server.js';
import { tokenPath } from './origin/token.js';
import { Sampler } from './probes/sampler.js';
import { findSocketHolders } from './probes/socket-holders.js';
import { isAdopted, isSubreaper } from './subreaper.js';
import { watchInterrupts } from './interrupt.js';
import { interruptedReport, plannedTargetInfo } from './interrupted-report.js';
import { tellSupervisor } from './supervisor.js';
import { RequestCountRecorder, withRequestRate, type CountPoint } from './request-rate.js';
import { processKey, type ProcessSnapshot, type Sample } from './probes/types.js';
import type { Suite } from './suite.js';
import { allowEchoPort } from './suite-target.js';
import type { RunProgress } from '../cli/progress.js';
import { launchTarget, MARKER_NAME, type Target, type TargetSpec } from './target.js';
import { atRest } from './settle.js';
import { machineFacts, reportHead, reportPeaks } from './report-parts.js';

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
  const safe = label.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'run';
  return `${stamp}-${safe}-${randomBytes(2).toString('hex')}`;
}

/** One request through the target, result ignored: opens whatever the target opens lazily before the baseline. */
function warmupRequest(target: Target, origin: Origin, mode: 'proxy' | 'server', proxyAuthorization?: string): Promise<void> {
  return new Promise((resolve) => {
    const authority = `${origin.host}:${origin.port}`;
    const req = http.get(
      {
        host: target.host,
        port: target.port,
        path: mode === 'proxy' ? `http://${authority}${tokenPath('warmup')}` : tokenPath('warmup'),
        headers: {
          host: mode === 'proxy' ? authority : `${target.host}:${target.port}`,
          connection: 'close',
          ...(mode === 'proxy' && proxyAuthorization ? { 'proxy-authorization': proxyAuthorization } : {}),
        },
        agent: false,
        timeout: 2_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
}

/** The observations a drain-time check needs, with `sample` as the after-drain state (its state alone is judged). */
function asDrained(base: Omit<RunObservations, 'afterDrain'>, sample: Sample): RunObservations {
  return { ...base, afterDrain: sample, zombieSpans: [] };
}

const QUIET_CHECKS = [childrenDrained, noZombies, fdsDrained, socketsDrained];

/** Quiet = the drain-time checks would pass on this sample. */
export function isQuiet(obs: RunObservations): boolean {
  return QUIET_CHECKS.every((c) => c.evaluate(obs).pass);
}

export async function runStress(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const suite = opts.suite;
  const attach = opts.target.kind === 'command' ? opts.target.attach : undefined;
  const label = [opts.strategy ?? (attach ? 'attach' : opts.target.kind === 'command' ? 'command' : 'proxy'), opts.fault].filter(Boolean).join('-');
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
    if (opts.progress) opts.progress.phase(name, name === 'load' ? durationMs : name === 'drain' ? drainMs : name === 'shutdown' ? suite.shutdownMs : null);
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
    createGenerator(opts.durationMs !== undefined ? withDuration(e, opts.durationMs) : e, { durationMs, connections, connectionsOverride: opts.connections }, i),
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
  tellSupervisor({ type: 'run', runId, runDir, formats: opts.formats ?? ['json'], report: interruptedReport({ ...interruptedBase, target: planned, phases: [], stop: { signal: 'SIGKILL', phase: 'start' }, killed: 0 }) });

  const body = async (): Promise<{ report: Report; observations: RunObservations }> => {
    log(`run ${runId} (${runDir})`);
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
    const org = origin;
    // children of ours that are not the target's: the root itself and the guardian
    const ownChildren = new Set([tgt.pid, ...tgt.helperPids]);
    // process groups of load tools the harness started (--load-cmd): what they orphan is theirs, not the target's
    const loadGroups = new Set<number>();
    sampler = new Sampler({
      rootPid: tgt.pid,
      marker: { name: MARKER_NAME, value: runId },
      intervalMs: Math.max(10, Math.round(1000 / opts.sampleHz)),
      ignore: opts.ignore,
      now: clock,
      adopted: isSubreaper() ? (stat, rootStart) => isAdopted(stat, rootStart, ownChildren) && !loadGroups.has(stat.pgrp) : undefined,
    });
    sampler.start();
    const smp = sampler;
    const liveLoad = (): { requests: number; errors: number } =>
      generators.reduce((a, g) => { const l = g.live?.(); return l ? { requests: a.requests + l.requests, errors: a.errors + l.errors } : a; }, { requests: 0, errors: 0 });
    opts.progress?.watch({ load: liveLoad, sample: () => smp.latest() });
    requestCounts = new RequestCountRecorder(() => liveLoad().requests, clock);
    requestCounts.start();
    const pool = tgt.pool;
    const targetFacts: RunObservations['target'] = { kind: tgt.kind, rootPid: tgt.pid, pool, strictExit: opts.strictExit, adoptsOrphans: isSubreaper(), ...(attach ? { attached: true } : {}) };

    // baseline: a couple of requests so lazily opened resources exist, then the resting state
    const liveChildren = (s: Sample): number => s.tree.filter((p) => p.depth >= 1 && p.state !== 'Z').length;
    let childrenBeforeWarmup = 0;
    const baseline = await phase('baseline', async () => {
      // a target may boot workers after it accepts: let its tree stop changing before counting
      let prev = smp.sampleNow();
      const settleBy = clock() + suite.warmupMs / 2;
      for (let ms = 50; clock() < settleBy; ms = Math.min(300, ms * 1.5)) {
        await wait(ms);
        const now = smp.sampleNow();
        const stable = atRest(prev, now);
        prev = now;
        if (stable) break;
      }
      childrenBeforeWarmup = liveChildren(prev);
      const warmupAuth = opts.target.kind === 'reference-proxy' && opts.target.proxy.auth ? basicAuthorization(opts.target.proxy.auth) : undefined;
      for (let i = 0; i < 2; i++) await warmupRequest(tgt, org, opts.mode, warmupAuth);
      org.closeIdle();
      const initial = smp.sampleNow();
      const deadline = clock() + suite.warmupMs;
      // a busy machine boots a replacement worker slowly: while the tree still changes (or a declared pool is not
      // back to its resident size) the baseline waits on, up to the drain's extension — a worker caught mid-boot
      // would make its later, booted self look like a leak
      const hardDeadline = deadline + suite.drainExtensionMs;
      let s = initial;
      let previous: Sample | null = null;
      for (let ms = 50; ; ms = Math.min(400, ms * 1.5)) {
        await wait(ms);
        s = smp.sampleNow();
        // settled: what the drain would call quiet, judged against the state right after the warm-up
        const base = { ...baseObservations(targetFacts, initial, tolerances, smp, drainMs), baselineChildren: liveChildren(initial) };
        const stable = previous !== null && atRest(previous, s);
        const poolBack = !pool || liveChildren(s) >= pool.resident;
        if (stable && poolBack && isQuiet(asDrained(base, s))) break;
        if (clock() > hardDeadline || (clock() > deadline && stable && poolBack)) break;
        previous = s;
      }
      return s;
    });

    const baselineChildren = Math.min(childrenBeforeWarmup, liveChildren(baseline));

    // load
    let earlyShutdown: Promise<ShutdownObservation> | null = null;
    const ctx: LoadContext = {
      mode: opts.mode,
      targetKind: tgt.kind,
      target: { host: tgt.host, port: tgt.port },
      origin: { host: org.host, port: org.port },
      checkTokens: opts.mode === 'proxy' || opts.echo,
      expectStatus: suite.expectStatus ? (s) => suite.expectStatus!.includes(s) : (s) => s >= 200 && s < 300,
      clock,
      signal: stopLoad.signal,
      nextToken: (() => {
        let n = 0;
        const prefix = runId.slice(-4);
        return (g: string) => `${prefix}-${g}-${(++n).toString(36)}`;
      })(),
      echo: { host: org.host, port: org.echoPort },
      strictProtocol: opts.strictProtocol === true,
      ...(opts.target.kind === 'reference-proxy' && opts.target.proxy.auth ? { proxyAuthorization: basicAuthorization(opts.target.proxy.auth) } : {}),
      responses: () => liveLoad().requests,
      runDir,
      ownChild: (pid) => {
        ownChildren.add(pid);
        loadGroups.add(pid);
      },
      tree: () => smp.latest()?.tree ?? smp.sampleNow().tree,
      holdersOf: (clientPort) => findSocketHolders(smp.latest()?.tree ?? smp.sampleNow().tree, tgt.port, clientPort),
      // chaos: SIGTERM under load; the shutdown phase then judges this shutdown. The load stops as the signal
      // goes out: connections refused by a closing listener say nothing about the target.
      terminateTarget: async () => {
        earlyShutdown ??= shutdownTarget(tgt, smp, suite.shutdownMs, clock);
        stopLoad.abort();
        await earlyShutdown;
      },
    };
    let loading = true;
    void tgt.exited.then(() => {
      if (loading && !stopLoad.signal.aborted) {
        log('target exited during load: stopping load');
        stopLoad.abort();
      }
    });
    const { outcomes, rounds } = await phase('load', () => runRounds(generators, ctx, loadCapMs));
    // a suite that SIGTERMs the target under load (shutdown, chaos) ends the load itself: no floor to reach
    const counts = evidenceCounts(generators, outcomes).map((c) => (earlyShutdown ? { ...c, floor: 0 } : c));
    const evidenceFloor = { capMs: loadCapMs, rounds, generators: counts };
    loading = false;
    const loadEnd = clock();

    // drain
    const base = { ...baseObservations(targetFacts, baseline, tolerances, smp, drainMs), baselineChildren };
    const drained = await phase('drain', async () => {
      org.closeIdle();
      const deadline = loadEnd + drainMs;
      // past the deadline, only while the tree still converges to rest or a young zombie may yet be reaped
      const hardDeadline = deadline + suite.drainExtensionMs;
      const points: ExcessPoint[] = [];
      let s = smp.sampleNow();
      for (let ms = 50; ; ms = Math.min(500, ms * 1.5)) {
        const obs = asDrained(base, s);
        if (isQuiet(obs)) return { sample: s, quietAt: s.t, converging: false };
        points.push({ t: s.t, excess: excessOf(obs) });
        const now = clock();
        if (now >= deadline) {
          const converging = stillConverging(points, s.t) || hasYoungZombie(s, (pid, st) => smp.zombieSince(pid, st), tolerances.zombieBoundMs);
          if (!converging || now >= hardDeadline) return { sample: s, quietAt: null, converging };
        }
        await wait(Math.min(ms, Math.max(10, (now < deadline ? deadline : hardDeadline) - now)));
        // the origin may have accepted new keep-alive sockets from late requests
        org.closeIdle();
        s = smp.sampleNow();
      }
    });
    const drainEnd = clock();
    const timeToQuietMs = drained.quietAt === null ? null : Math.max(0, Math.round(drained.quietAt - loadEnd));
    log(drained.quietAt === null ? `not quiet within ${drainMs} ms` : `quiet ${timeToQuietMs} ms after load`);

    // shutdown
    const orphansDuringRun = smp.orphansSeen();
    // --attach without --shutdown: the server is someone else's and keeps running
    const leftRunning = attach !== undefined && !attach.shutdown && tgt.exit() === null;
    const shutdown = await phase('shutdown', async () =>
      earlyShutdown ?? (leftRunning ? { signalAtMs: null, deadlineMs: 0, exit: null, diedEarly: false, leftovers: [], escalated: false, skipped: true } : shutdownTarget(tgt, smp, suite.shutdownMs, clock)),
    );
    smp.stop();
    const orphansAfterShutdown = shutdown.leftovers.filter((p) => p.depth === -1);

    const observations: RunObservations = {
      ...base,
      afterDrain: drained.sample,
      zombieSpans: smp.zombieSpans(),
      descendantsSeen: smp.descendantsSeen(),
      drain: {
        quiet: drained.quietAt !== null,
        timeToQuietMs,
        deadlineMs: drainMs,
        extendedMs: Math.max(0, Math.round(drainEnd - loadEnd - drainMs)),
        convergingAtEnd: drained.converging,
      },
      orphansDuringRun,
      orphansAfterShutdown,
      shutdown,
      peaks: smp.peaks(),
      maxChildrenSample: smp.maxChildrenSample(),
      load: outcomes,
    };
    const checks = await phase('verdict', async () => withSettleHint(evaluateAll(observations), observations.drain));
    const report = buildReport({
      opts, runId, startedAt, target: tgt, phases, checks, outcomes, timeToQuietMs, sampler: smp, shutdown, requestCounts: requestCounts.series, evidenceFloor,
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
        phases: [...phases, ...(phases.some((p) => p.name === current) ? [] : [{ name: current, start: currentStart, end: Math.round(clock()) }])],
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
export async function writeRunReports(report: Report, runDir: string, formats: ReportFormat[], options: { latest?: boolean; warn: (m: string) => void }): Promise<string[]> {
  try {
    return await writeReports(report, runDir, formats, options);
  } catch (err) {
    throw new ReportWriteError(`could not write the report in ${runDir}: ${(err as Error).message} (the run's cleanup ran; verdict was ${report.verdict})`);
  }
}

/**
 * A drain check that failed while the tree was still converging to rest says so and names --drain: a slow but
 * monotone return (one idle child retired a second) is a settling time to give, not necessarily a leak.
 */
function withSettleHint(checks: CheckResult[], drain: RunObservations['drain']): CheckResult[] {
  if (drain.quiet || !drain.convergingAtEnd) return checks;
  const ids = new Set(QUIET_CHECKS.map((c) => c.id));
  const waited = drain.deadlineMs + drain.extendedMs;
  const hint = `; still converging toward rest when the drain ended ${waited} ms after load (the --drain deadline plus its extension): a slow settler? a longer --drain lets it finish`;
  return checks.map((c) => (!c.pass && ids.has(c.id) ? { ...c, summary: c.summary + hint } : c));
}

function withDuration(entry: Record<string, unknown>, durationMs: number): Record<string, unknown> {
  return { ...entry, duration: durationMs };
}

function baseObservations(
  target: RunObservations['target'],
  baseline: Sample,
  tolerances: Tolerances,
  sampler: Sampler,
  drainMs: number,
): Omit<RunObservations, 'afterDrain' | 'baselineChildren'> {
  return {
    target,
    baseline,
    zombieSpans: [],
    descendantsSeen: 0,
    drain: { quiet: false, timeToQuietMs: null, deadlineMs: drainMs, extendedMs: 0, convergingAtEnd: false },
    orphansDuringRun: [],
    orphansAfterShutdown: [],
    shutdown: { signalAtMs: null, deadlineMs: 0, exit: null, diedEarly: false, leftovers: [], escalated: false },
    peaks: sampler.peaks(),
    maxChildrenSample: null,
    load: [],
    tolerances,
    firstSeen: (k) => sampler.firstSeen(k),
  };
}

/**
 * SIGTERM to the root only — stopping the children is the target's job, and signalling the whole group would
 * hide a master that forgets them. Then wait for the root, and for its tree to follow it (a child's parent
 * going away is its cue), up to the deadline.
 */
async function shutdownTarget(target: Target, sampler: Sampler, deadlineMs: number, clock: () => number): Promise<ShutdownObservation> {
  const before = target.exit();
  if (before) {
    const leftovers = await waitForLeftovers(sampler, clock() + 1_000);
    return { signalAtMs: null, deadlineMs, exit: { ...before, afterMs: 0 }, diedEarly: true, leftovers, escalated: false };
  }
  const signalAt = clock();
  const exit = await target.terminate(deadlineMs);
  const exitObs = exit ? { code: exit.code, signal: exit.signal, afterMs: Math.round(clock() - signalAt) } : null;
  let escalated = false;
  if (!exit) {
    // it ignored SIGTERM: what is left is judged now, then the group is killed
    const s = sampler.sampleNow();
    const leftovers = [...s.tree, ...s.orphans];
    escalated = true;
    return { signalAtMs: Math.round(signalAt), deadlineMs, exit: null, diedEarly: false, leftovers, escalated };
  }
  // children get a moment to notice their parent is gone (2 s, within the deadline; at least 1 s)
  const leftovers = await waitForLeftovers(sampler, Math.max(Math.min(signalAt + deadlineMs, clock() + 2_000), clock() + 1_000));
  return { signalAtMs: Math.round(signalAt), deadlineMs, exit: exitObs, diedEarly: false, leftovers, escalated };
}

/** Polls until neither the tree nor any marked process is alive (two empty samples in a row) or the deadline. */
export async function waitForLeftovers(sampler: Sampler, deadline: number): Promise<ProcessSnapshot[]> {
  let emptyStreak = 0;
  let last: ProcessSnapshot[] = [];
  for (let wait = 25; ; wait = Math.min(200, wait * 1.5)) {
    const s = sampler.sampleNow();
    // the root itself may linger a moment as our own unreaped child
    last = [...s.tree.filter((p) => p.state !== 'Z'), ...s.orphans.filter((p) => p.state !== 'Z')];
    emptyStreak = last.length === 0 ? emptyStreak + 1 : 0;
    if (emptyStreak >= 2) return [];
    if (s.t >= deadline) return last;
    await sleep(wait);
  }
}

function buildReport(a: {
  opts: RunOptions;
  runId: string;
  startedAt: Date;
  target: Target;
  phases: Phase[];
  checks: CheckResult[];
  outcomes: LoadOutcome[];
  timeToQuietMs: number | null;
  sampler: Sampler;
  shutdown: ShutdownObservation;
  requestCounts: CountPoint[];
  evidenceFloor: Omit<NonNullable<Report['evidenceFloor']>, 'met'>;
}): Report {
  const pass = a.checks.every((c) => c.pass);
  const met = a.evidenceFloor.generators.every((g) => g.count >= g.floor);
  // a failure found on little evidence is still a failure; a pass on too little is not a pass
  const verdict = !pass ? 'fail' : met ? 'pass' : 'inconclusive';
  const load: Record<string, LoadStats> = {};
  // outcomes come in the suite's order: each entry's type goes with its stats (latency thresholds read it)
  a.outcomes.forEach((o, i) => {
    const kind = a.opts.suite.load[i]?.generator;
    load[o.stats.generator] = typeof kind === 'string' ? { ...o.stats, kind } : o.stats;
  });
  const spec = a.opts.target;
  const pool = a.target.pool;
  const targetInfo: TargetInfo = {
    kind: a.target.kind,
    mode: a.opts.mode,
    command: a.target.argv,
    pid: a.target.pid,
    port: a.target.port,
    // an undeclared cap (command target) is reported as -1
    pool: pool ? { resident: pool.resident, cap: Number.isFinite(pool.cap) ? pool.cap : -1 } : null,
    ...(spec.kind === 'reference-proxy' ? { options: { ...spec.proxy } as Record<string, unknown> } : {}),
    exit: a.shutdown.exit
      ? { code: a.shutdown.exit.code, signal: a.shutdown.exit.signal, afterMs: a.shutdown.exit.afterMs }
      : { code: null, signal: null, afterMs: null },
  };
  return {
    ...reportHead(a.runId, a.startedAt),
    verdict,
    exitCode: EXIT[verdict],
    target: targetInfo,
    suite: a.opts.suite.name,
    strategy: a.opts.strategy,
    fault: a.opts.fault,
    phases: a.phases,
    checks: a.checks,
    load,
    peaks: reportPeaks(a.sampler),
    timeToQuietMs: a.timeToQuietMs,
    timeline: withRequestRate(a.sampler.timeline, a.requestCounts).map((p) => ({ ...p, t: Math.round(p.t) })),
    machine: machineFacts(),
    evidenceFloor: { met, ...a.evidenceFloor },
    ...(spec.kind === 'command' && spec.attach ? { attach: { pid: spec.attach.pid, shutdown: spec.attach.shutdown } } : {}),
    ...(a.target.kind === 'command' ? { protocol: { gated: a.opts.strictProtocol === true, findings: a.outcomes.flatMap((o) => o.protocol ?? []) } } : {}),
  };
}

/** A target that never started still leaves a record where CI looks (report.md, junit.xml, latest). */
function recordStartFailure(err: TargetStartError, opts: RunOptions, runId: string, startedAt: Date, runDir: string, warn: (m: string) => void): void {
  const startCredentials = opts.target.kind === 'reference-proxy' ? [opts.target.proxy.auth] : [];
  try {
    const written = writeStartFailure(
      {
        schema: 1,
        tool: { name: 'handoff', version },
        runId,
        startedAt: startedAt.toISOString(),
        suite: opts.suite.name,
        strategy: opts.strategy,
        command: redactArgv(err.context.command, startCredentials),
        message: redactSecrets(err.message, startCredentials),
        stderr: redactSecrets(err.context.stderr, startCredentials),
        exitCode: err.context.exitCode,
        signal: err.context.signal,
      },
      runDir,
      opts.formats ?? ['json'],
      { warn },
    );
    err.record = { dir: runDir, files: written.map((f) => basename(f)) };
  } catch (e) {
    warn(`could not record the failed start in ${runDir}: ${(e as Error).message}`);
  }
}
