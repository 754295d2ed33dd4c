// `handoff exec`: a leak gate for any command (a test suite, a build). The command runs as the root of a watched
// tree — its own process group, the run marker in its environment, the harness as subreaper — with no load. Once
// it exits (and a short grace for its descendants to finish on their own), what it left is judged
// (checks/exec.ts), then killed by the run's one cleanup (sweep.ts), and reported in every format.
// The command's own exit status is reported apart (report.exec): a leak is exit 1 whatever the command did; a
// clean run of a failed command is exit 5 (EXIT.commandFailed); a clean run of a passing command 0.
import os from 'node:os';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EXIT, SCHEMA_VERSION, type Phase, type Report, type TargetInfo } from '../model/report.js';
import type { ReportFormat } from '../report/write.js';
import { TargetStartError } from '../util/errors.js';
import { ensureWritableDirectory } from '../util/ensure-dir.js';
import { version } from '../version.js';
import { evaluateExec, type ExecObservations, type Leftover } from './checks/exec.js';
import { interruptedReport } from './interrupted-report.js';
import { watchInterrupts } from './interrupt.js';
import { MARKER_NAME } from './marker.js';
import { hasMarker, readFds, readNetTcp } from './probes/proc-reader.js';
import { Sampler } from './probes/sampler.js';
import type { OwnedSocket, ProcessSnapshot } from './probes/types.js';
import { makeRunId, writeRunReports } from './run.js';
import { waitForLeftovers } from './phases/shutdown.js';
import { isAdopted, isSubreaper } from './subreaper.js';
import { tellSupervisor } from './supervisor.js';
import { launchTarget, type Target } from './target.js';

export interface ExecOptions {
  /** the command and its arguments (no shell) */
  command: string[];
  reportDir: string;
  /** besides json (always written) */
  formats?: ReportFormat[];
  /** cmdline patterns the checks leave out (never the cleanup) */
  ignore: RegExp[];
  sampleHz: number;
  /** how long, after the command exited, its descendants may take to exit by themselves (default 1 s) */
  graceMs?: number;
  /** the command is SIGTERMed (its root only: what it leaves is still judged) after this long, SIGKILLed 5 s later */
  timeoutMs?: number;
  /** a zombie reaped later than this while the command ran is a failure too (default 3 s, as the suites) */
  zombieBoundMs?: number;
  /** the CI gate (allow-list, thresholds), applied before the command's status is folded in */
  finalize?: (report: Report) => Report;
  /** the command's working directory (default: the harness's) */
  cwd?: string;
  /** the command's output as it comes (it is kept in the run directory either way) */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  log?: (line: string) => void;
  warn?: (line: string) => void;
  runId?: string;
}

/** --timeout: SIGTERM first, SIGKILL this long after */
const TIMEOUT_KILL_MS = 5_000;

export interface ExecResult {
  report: Report;
  runDir: string;
  reportPaths: string[];
}

/**
 * Folds the command's own status into the gated verdict's exit code: a leak (or an expired allow-list entry, a
 * failed threshold) is 1 whatever the command did; a clean run is 0 or, when the command failed, 5.
 */
export function execExitCode(gatedExitCode: Report['exitCode'], commandFailed: boolean): Report['exitCode'] {
  return gatedExitCode === EXIT.pass && commandFailed ? EXIT.commandFailed : gatedExitCode;
}

export async function runExec(opts: ExecOptions): Promise<ExecResult> {
  if (opts.command.length === 0) throw new TargetStartError('empty command', { command: [], stderr: '', exitCode: null, signal: null });
  const log = opts.log ?? (() => {});
  const warn = opts.warn ?? ((m: string) => log(`warning: ${m}`));
  const graceMs = opts.graceMs ?? 1_000;
  const zombieBoundMs = opts.zombieBoundMs ?? 3_000;
  const runId = opts.runId ?? makeRunId(`exec-${basename(opts.command[0]!)}`);
  const runDir = join(ensureWritableDirectory(opts.reportDir, '--report-dir'), runId);
  mkdirSync(runDir, { recursive: true });
  const formats = opts.formats ?? ['json'];
  const startedAt = new Date();
  const t0 = performance.now();
  const clock = (): number => performance.now() - t0;
  const phases: Phase[] = [];
  let current: Phase['name'] = 'start';
  const interrupts = watchInterrupts(() => current, log);
  const planned: TargetInfo = {
    kind: 'command',
    mode: 'server',
    command: opts.command,
    pid: null,
    port: null,
    pool: null,
    exit: { code: null, signal: null, afterMs: null },
  };
  const skeleton = (
    target: TargetInfo,
    stop: { signal: string; phase: Phase['name'] },
    killed: number,
    sampler?: Sampler | null,
    logs?: Report['logs'],
  ): Report =>
    interruptedReport({
      opts: { strategy: null, fault: null },
      runId,
      startedAt,
      suite: 'exec',
      target,
      phases: [...phases],
      stop,
      killed,
      sampler,
      logs,
    });
  tellSupervisor({ type: 'run', runId, runDir, formats, report: skeleton(planned, { signal: 'SIGKILL', phase: 'start' }, 0) });

  let target: Target | null = null;
  let sampler: Sampler | null = null;
  try {
    log(`run ${runId} (${runDir})`);
    const started = clock();
    try {
      target = await launchTarget(
        { kind: 'command', command: opts.command, listens: false },
        {
          runId,
          runDir,
          cwd: opts.cwd,
          signal: interrupts.signal,
          onOutput: opts.onOutput,
          onSpawn: (pid, starttime) => tellSupervisor({ type: 'root', runId, pid, starttime }),
        },
      );
    } catch (err) {
      const stop = interrupts.state();
      if (!stop) throw err;
      // an interrupted start is not the command's failure to start (launchTarget swept what it started)
      const report = skeleton(planned, stop, 0);
      return { report, runDir, reportPaths: await writeRunReports(report, runDir, formats, { latest: false, warn }) };
    }
    phases.push({ name: 'start', start: Math.round(started), end: Math.round(clock()) });
    const tgt = target;
    const ownChildren = new Set([tgt.pid, ...tgt.helperPids]);
    const adopted = isSubreaper() ? (stat: Parameters<typeof isAdopted>[0]) => isAdopted(stat, tgt.starttime, ownChildren) : undefined;
    sampler = new Sampler({
      rootPid: tgt.pid,
      marker: { name: MARKER_NAME, value: runId },
      intervalMs: Math.max(10, Math.round(1000 / opts.sampleHz)),
      ignore: opts.ignore,
      now: clock,
      adopted,
    });
    sampler.start();
    const smp = sampler;

    current = 'run';
    tellSupervisor({ type: 'phase', runId, phases, current, at: Math.round(clock()) });
    log(`run: pid ${tgt.pid} ${opts.command.join(' ')}`);
    const runStart = clock();
    const timer =
      opts.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            log(`the command ran past --timeout ${opts.timeoutMs} ms: SIGTERM`);
            void tgt.terminate(TIMEOUT_KILL_MS).then((e) => {
              if (!e && tgt.exit() === null) process.kill(tgt.pid, 'SIGKILL');
            });
          }, opts.timeoutMs);
    const exit = await Promise.race([tgt.exited, interrupts.interrupted.then(() => null)]).finally(() => timer && clearTimeout(timer));
    // the grace: what the command started may still be on its way out
    if (exit) await Promise.race([waitForLeftovers(smp, clock() + graceMs), interrupts.interrupted]);
    phases.push({ name: 'run', start: Math.round(runStart), end: Math.round(clock()) });
    const stop = interrupts.state();
    if (stop || !exit) {
      smp.stop();
      const swept = await tgt.sweep({ graceMs: 500, known: () => known(smp) });
      const logs = await tgt.dispose();
      const report = skeleton(
        { ...planned, command: tgt.argv, pid: tgt.pid },
        stop ?? { signal: 'SIGTERM', phase: 'run' },
        swept.killed.length,
        smp,
        logs,
      );
      log(`interrupted during the command: recorded in ${runDir}`);
      return { report, runDir, reportPaths: await writeRunReports(report, runDir, formats, { latest: false, warn }) };
    }

    current = 'verdict';
    const verdictStart = clock();
    const last = smp.sampleNow();
    smp.stop();
    const all = [...last.tree, ...last.orphans];
    const leftovers: Leftover[] = all
      .filter((p) => p.state !== 'Z')
      .map((p) => ({ process: p, via: p.depth >= 0 ? 'tree' : hasMarker(p.pid, MARKER_NAME, runId) === true ? 'marker' : 'adopted' }));
    // an adopted zombie is the harness's own to reap (the sweep does); one whose parent still runs was never waited for
    const zombiesLeft = all.filter((p) => p.state === 'Z' && p.ppid !== process.pid);
    const observations: ExecObservations = {
      adoptsOrphans: isSubreaper(),
      leftovers,
      zombiesLeft,
      zombieSpans: smp.zombieSpans(),
      zombieBoundMs,
      descendantsSeen: smp.descendantsSeen(),
      sockets: socketsOf(leftovers.map((l) => l.process)),
      graceMs,
      firstSeen: (k) => smp.firstSeen(k),
    };
    const checks = evaluateExec(observations);
    phases.push({ name: 'verdict', start: Math.round(verdictStart), end: Math.round(clock()) });

    // the cleanup: every leftover ended by identity (pid + start time), the group only while provably ours
    const swept = await tgt.sweep({ graceMs: 500, known: () => all });
    if (swept.killed.length) log(`killed ${swept.killed.length} leftover process${swept.killed.length > 1 ? 'es' : ''} of the command`);
    const logs = await tgt.dispose();
    const failed = exit.code !== 0;
    const pass = checks.every((c) => c.pass);
    const peaks = smp.peaks();
    const cpus = os.cpus();
    const durationMs = Math.round(exit.atMs);
    const report: Report = {
      schema: SCHEMA_VERSION,
      tool: { name: 'handoff', version },
      runId,
      startedAt: startedAt.toISOString(),
      verdict: pass ? 'pass' : 'fail',
      exitCode: pass ? EXIT.pass : EXIT.fail,
      target: { ...planned, command: tgt.argv, pid: tgt.pid, exit: { code: exit.code, signal: exit.signal, afterMs: durationMs } },
      suite: 'exec',
      strategy: null,
      fault: null,
      phases,
      checks,
      load: {},
      peaks: { children: peaks.children, fds: peaks.fds, rssBytes: peaks.rssBytes, pssBytes: peaks.pssBytes, closeWait: peaks.closeWait },
      timeToQuietMs: null,
      timeline: smp.timeline.map((p) => ({ ...p, t: Math.round(p.t) })),
      machine: {
        cores: cpus.length,
        cpuModel: cpus[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      logs,
      exec: { code: exit.code, signal: exit.signal, durationMs, failed, graceMs },
    };
    const gated = opts.finalize ? opts.finalize(report) : report;
    const final: Report = { ...gated, exitCode: execExitCode(gated.exitCode, failed) };
    const reportPaths = await writeRunReports(final, runDir, formats, { warn });
    return { report: final, runDir, reportPaths };
  } finally {
    // every path (a failed start included) ends what the command left
    sampler?.stop();
    if (target) {
      const t = target as Target;
      await t.sweep({ graceMs: 0 });
      await t.dispose();
    }
    tellSupervisor({ type: 'done', runId });
    interrupts.dispose();
  }
}

function known(sampler: Sampler): ProcessSnapshot[] {
  try {
    const s = sampler.sampleNow();
    return [...s.tree, ...s.orphans];
  } catch {
    return [];
  }
}

/** Every TCP socket (any state, listening included) the given processes hold, read afresh. */
function socketsOf(processes: ProcessSnapshot[]): OwnedSocket[] {
  const holders = new Map<number, { pid: number; fd: number }[]>();
  for (const p of processes) {
    let fds: ReturnType<typeof readFds> & object;
    try {
      fds = readFds(p.pid) ?? [];
    } catch {
      continue; // not ours to read: left out of the evidence, the process itself is not
    }
    for (const f of fds)
      if (f.kind === 'socket' && f.inode !== null) holders.set(f.inode, [...(holders.get(f.inode) ?? []), { pid: p.pid, fd: f.fd }]);
  }
  if (holders.size === 0) return [];
  const sockets: OwnedSocket[] = [];
  for (const row of readNetTcp(processes[0]!.pid, new Set(holders.keys()))) {
    for (const h of holders.get(row.inode) ?? []) sockets.push({ ...row, ...h });
  }
  return sockets;
}
