// Launches the target (the reference proxy or any command) in its own process group with the run's env
// marker, waits until it accepts, saves its output, and ends its whole group on every path. The output capture
// is target-output.ts's, the wait until ready target-ready.ts's; this file spawns and owns the cleanup. Its
// length is launchOnce: one closure that every path of a start (spawn, cleanup hook, sweep, dispose, fail) shares.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cliPath } from '../paths.js';
import type { ExitSeenBy, LogRecord } from '../model/report.js';
import { CappedLog } from './capped-log.js';
import type { ProxyOptions } from '../proxy/options.js';
import { proxyOptionsToArgs } from '../proxy/parse-options.js';
import { AUTH_ENV } from '../proxy/credentials.js';
import type { PoolDeclaration } from '../proxy/protocol.js';
import { TargetStartError } from '../util/errors.js';
import { registerCleanup, signalGroup } from './cleanup.js';
import { readStat } from './probes/proc-reader.js';
import { isAdopted, isSubreaper, reapAdopted } from './subreaper.js';
import { startGuardian } from './guardian.js';
import { attachTarget } from './attach.js';
import { MARKER_NAME } from './marker.js';
import { sweep, sweepOnce, type Identity, type SweepResult, type SweepScope } from './sweep.js';
import type { Readiness } from './readiness.js';
import { freePort } from './ports.js';
import { captureOutput } from './target-output.js';
import { awaitAnnouncement, awaitCommandReady, type StartWatch } from './target-ready.js';

export { MARKER_NAME } from './marker.js';
export { canConnect, freePort } from './ports.js';
export { describeExit } from './target-ready.js';

export type TargetSpec =
  | { kind: 'reference-proxy'; proxy: ProxyOptions; nofile?: number; readyTimeoutMs?: number }
  | {
      kind: 'command';
      command: string[];
      /** children it may keep at rest / at most (default 0 / unlimited) */
      pool?: Partial<PoolDeclaration>;
      nofile?: number;
      readyTimeoutMs?: number;
      /** more than an accepting port before the load starts (readiness.ts), within readyTimeoutMs */
      ready?: Readiness;
      host?: string;
      /** false: a command that serves nothing (`handoff exec`): no port is picked and no readiness is awaited */
      listens?: boolean;
      /** `--attach`: not launched — the server already running as `pid` on `port` is the target (attach.ts) */
      attach?: { pid: number; port: number; shutdown: boolean };
    };

export interface TargetExit {
  code: number | null;
  signal: string | null;
  /** ms since the target was spawned */
  atMs: number;
}

export interface Target {
  readonly kind: TargetSpec['kind'];
  readonly pid: number;
  /** the root's start time (clock ticks; 0 when it was gone before it could be read) */
  readonly starttime: number;
  readonly host: string;
  readonly port: number;
  /** the argv actually spawned */
  readonly argv: string[];
  readonly pool: PoolDeclaration | null;
  readonly stdoutLog: string;
  readonly stderrLog: string;
  /** resolves when the root process exits */
  readonly exited: Promise<TargetExit>;
  exit(): TargetExit | null;
  /** last bytes of stderr */
  stderrTail(): string;
  /** SIGTERM to the root only (children are its job); resolves with its exit or null after the deadline. */
  terminate(deadlineMs: number): Promise<TargetExit | null>;
  /**
   * The run's cleanup (sweep.ts): SIGTERM the group, SIGKILL it after graceMs (both only while the root is
   * unreaped, so the group is provably ours), then every marked, adopted or `known` process by identity;
   * resolves when the root has exited (or 2 s).
   */
  sweep(opts?: { graceMs?: number; known?: () => Iterable<Identity> }): Promise<SweepResult>;
  /**
   * Reads the target's pipes to their end (bounded: an orphan may hold them open), closes the logs, releases the
   * cleanup hook; resolves with what each log kept.
   */
  dispose(): Promise<{ stdout: LogRecord; stderr: LogRecord }>;
  /** processes the harness started beside the target (the guardian): its children, not the target's */
  readonly helperPids: ReadonlySet<number>;
  /** an attached root (not our child): how its exit is watched (exit-watch.ts) */
  readonly exitSeenBy?: ExitSeenBy;
}

/** how long dispose() waits for the pipes' end once the target's processes are gone */
const DRAIN_PIPES_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms)); // a turn of the event loop
/** for Promise.race: a losing timer must not keep the harness alive */
const lapse = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export function substitutePort(args: string[], port: number): string[] {
  return args.map((a) => a.replaceAll('{port}', String(port)));
}

export interface LaunchContext {
  runId: string;
  runDir: string;
  env?: NodeJS.ProcessEnv;
  /** aborted: the start gives up (the run was interrupted), sweeps what it started, and rejects */
  signal?: AbortSignal;
  /** the root's pid and start time, as soon as it is spawned (the supervisor's note) */
  onSpawn?: (pid: number, starttime: number) => void;
  /** per-log size cap (default LOG_CAP_BYTES) */
  logCapBytes?: number;
  /** the working directory of the target (default: the harness's) */
  cwd?: string;
  /** every chunk the target writes, besides its log (`handoff exec` shows the command's output as it comes) */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** How many times a target that lost its port to another process (EADDRINUSE) is started again on another. */
const PORT_RETRIES = 2;

/**
 * The port the harness picked is free when picked, not when the target binds it: on a busy machine another process
 * may take it in between. A command target that exits saying so is started again on another port.
 */
export async function launchTarget(spec: TargetSpec, ctx: LaunchContext): Promise<Target> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await launchOnce(spec, ctx);
    } catch (err) {
      const lostPort =
        err instanceof TargetStartError &&
        spec.kind === 'command' &&
        !spec.attach &&
        spec.listens !== false &&
        /address already in use|EADDRINUSE/i.test(err.context.stderr);
      if (!lostPort || attempt >= PORT_RETRIES || ctx.signal?.aborted) throw err;
    }
  }
}

async function launchOnce(spec: TargetSpec, ctx: LaunchContext): Promise<Target> {
  if (spec.kind === 'command' && spec.attach) {
    const pool = { resident: spec.pool?.resident ?? 0, cap: spec.pool?.cap ?? Number.POSITIVE_INFINITY };
    return attachTarget({ ...spec.attach, host: spec.host ?? '127.0.0.1', pool });
  }
  const readyTimeoutMs = spec.readyTimeoutMs ?? 15_000;
  let host = '127.0.0.1';
  let port = 0;
  let argv: string[];
  const env: NodeJS.ProcessEnv = { ...process.env, ...ctx.env, [MARKER_NAME]: ctx.runId };
  if (spec.kind === 'reference-proxy') {
    host = spec.proxy.host;
    argv = [process.execPath, cliPath(), 'serve', ...proxyOptionsToArgs({ ...spec.proxy, port: 0 })];
    // credentials by environment, never argv (ps, reports); none set means none inherited either
    if (spec.proxy.auth) env[AUTH_ENV] = spec.proxy.auth;
    else delete env[AUTH_ENV];
  } else {
    if (spec.command.length === 0)
      throw new TargetStartError('empty target command', { command: [], stderr: '', exitCode: null, signal: null });
    host = spec.host ?? '127.0.0.1';
    if (spec.listens === false) argv = [...spec.command];
    else {
      port = await freePort(host);
      argv = substitutePort(spec.command, port);
      env.PORT = String(port);
    }
  }
  if (spec.nofile !== undefined) argv = ['prlimit', `--nofile=${spec.nofile}:${spec.nofile}`, '--', ...argv];

  const stdoutLog = join(ctx.runDir, 'target.stdout.log');
  const stderrLog = join(ctx.runDir, 'target.stderr.log');
  const outFile = new CappedLog(stdoutLog, ctx.logCapBytes);
  const errFile = new CappedLog(stderrLog, ctx.logCapBytes);
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(argv[0], argv.slice(1), { detached: true, env, cwd: ctx.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    outFile.close();
    errFile.close();
    throw new TargetStartError(`cannot start ${argv[0]}: ${(err as Error).message}`, {
      command: argv,
      stderr: '',
      exitCode: null,
      signal: null,
    });
  }
  let exitInfo: TargetExit | null = null;
  let spawnError: Error | null = null;
  const exited = new Promise<TargetExit>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      if (!exitInfo) {
        exitInfo = { code: null, signal: null, atMs: Date.now() - started };
        resolve(exitInfo);
      }
    });
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal, atMs: Date.now() - started };
      resolve(exitInfo);
    });
  });
  const pid = child.pid ?? -1;
  // read at once, while the root surely lives (0: it is already gone, and anything adopted is newer anyway)
  const startTicks = (pid > 0 ? readStat(pid)?.starttime : undefined) ?? 0;
  if (pid > 0) ctx.onSpawn?.(pid, startTicks);
  // should the harness itself be killed outright, the guardian ends the group and the marked processes
  const guardian = pid > 0 ? startGuardian({ root: pid, starttime: startTicks, runId: ctx.runId }) : null;
  const helperPids: ReadonlySet<number> = new Set(guardian && guardian.pid > 0 ? [guardian.pid] : []);
  const ownChildren = new Set([pid, ...helperPids]);
  // the group is provably ours while its leader is our unreaped child (libuv reaps it just before 'exit')
  const groupIsOurs = (): boolean => pid > 0 && exitInfo === null && child.exitCode === null && child.signalCode === null;
  const scope = (known?: () => Iterable<Identity>): SweepScope => ({
    markers: [ctx.runId],
    group: { pgid: pid, ours: groupIsOurs },
    // with the harness as subreaper, what escaped with an empty environment is ours now: found by parent pid
    // (never the root: it is Node's child, and libuv must be the one to reap it)
    adopted: isSubreaper() ? (stat) => isAdopted(stat, startTicks, ownChildren) : undefined,
    reap: reapAdopted,
    known,
  });
  const release =
    pid > 0
      ? registerCleanup(() => {
          // on any signal or exit: no politeness left, the synchronous sweep
          if (groupIsOurs()) signalGroup(pid, 'SIGKILL');
          sweepOnce(scope());
        })
      : () => {};

  const output = captureOutput(child, {
    stdout: outFile,
    stderr: errFile,
    parse: spec.kind === 'reference-proxy',
    readyLog: spec.kind === 'command' ? spec.ready?.log : undefined,
    onOutput: ctx.onOutput,
  });

  let disposing: Promise<{ stdout: LogRecord; stderr: LogRecord }> | null = null;
  const dispose = (): Promise<{ stdout: LogRecord; stderr: LogRecord }> =>
    (disposing ??= (async () => {
      // what the target wrote last is in the pipes: read them to their end (an orphan may hold them: bounded)
      await Promise.race([output.pipesEnded, lapse(DRAIN_PIPES_MS)]);
      const logs = output.close();
      release();
      guardian?.stop();
      return logs;
    })());

  const sweepRun = async (opts: { graceMs?: number; known?: () => Iterable<Identity> } = {}): Promise<SweepResult> => {
    if (pid <= 0) return { killed: [], groupSignalled: false };
    const result = await sweep(scope(opts.known), { graceMs: opts.graceMs ?? 2_000 });
    if (result.groupSignalled) await Promise.race([exited, lapse(2_000)]);
    return result;
  };

  const fail = async (why: string): Promise<never> => {
    // A target that daemonized (forked, setsid(), parent exited 0) is no longer in the group: the sweep finds
    // what carries the run's marker anywhere, and what the harness adopted, and ends it too, as a finished run does.
    const daemons = (await sweepRun({ graceMs: 500 })).killed.filter((p) => p.pgrp !== pid).map((p) => p.pid);
    // the last stderr bytes are read before the logs close
    await dispose();
    const e = exitInfo as TargetExit | null;
    const hint = daemons.length
      ? ` — ${daemons.length} process${daemons.length > 1 ? 'es' : ''} of it still ran outside its process group (pid ${daemons.slice(0, 5).join(', ')}; killed): does it daemonize? run it in the foreground`
      : '';
    throw new TargetStartError(`${why}${hint}`, {
      command: argv,
      stderr: output.stderrTail(),
      exitCode: e?.code ?? null,
      signal: e?.signal ?? null,
    });
  };

  // readiness
  let pool: PoolDeclaration | null = null;
  const watch: StartWatch = {
    signal: ctx.signal,
    program: argv[0],
    spawnError: () => spawnError,
    exit: () => exitInfo,
    exited,
    deadline: started + readyTimeoutMs,
    readyTimeoutMs,
  };
  if (spec.kind === 'reference-proxy') {
    const announced = await awaitAnnouncement(output, watch);
    if ('failed' in announced) return fail(announced.failed);
    ({ host, port } = announced.listening);
    pool = announced.pool;
    output.stopParsing();
  } else if (spec.listens === false) {
    // nothing to wait for: the command runs from here on (a start that could not spawn fails just above, on 'error')
    await sleep(0);
    if (spawnError) return fail(`cannot start ${argv[0]}: ${(spawnError as Error).message}`);
    pool = { resident: 0, cap: Number.POSITIVE_INFINITY };
  } else {
    const notReady = await awaitCommandReady({ pid, host, port, runId: ctx.runId, ready: spec.ready }, output, watch);
    if (notReady !== null) return fail(notReady);
    pool = { resident: spec.pool?.resident ?? 0, cap: spec.pool?.cap ?? Number.POSITIVE_INFINITY };
  }

  return {
    kind: spec.kind,
    pid,
    starttime: startTicks,
    host,
    port,
    argv,
    pool,
    stdoutLog,
    stderrLog,
    exited,
    exit: () => exitInfo,
    stderrTail: () => output.stderrTail(),
    async terminate(deadlineMs) {
      if (exitInfo) return exitInfo;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      return Promise.race([exited, lapse(deadlineMs).then(() => null)]);
    },
    sweep: sweepRun,
    dispose,
    helperPids,
  };
}
