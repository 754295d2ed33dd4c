// Launches the target (the reference proxy or any command) in its own process group with the run's env
// marker, waits until it accepts, saves its output, and ends its whole group on every path.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { cliPath } from '../paths.js';
import type { LogRecord } from '../model/report.js';
import { CappedLog } from './capped-log.js';
import type { ProxyOptions } from '../proxy/options.js';
import { proxyOptionsToArgs } from '../proxy/parse-options.js';
import { AUTH_ENV } from '../proxy/credentials.js';
import { parseListening, parsePool, type PoolDeclaration } from '../proxy/protocol.js';
import { TargetStartError } from '../util/errors.js';
import { registerCleanup, signalGroup } from './cleanup.js';
import { listenerBelongsToTarget } from './probes/listener-owner.js';
import { hasMarker, readStat } from './probes/proc-reader.js';
import { isAdopted, isSubreaper, reapAdopted } from './subreaper.js';
import { startGuardian } from './guardian.js';
import { attachTarget } from './attach.js';
import { MARKER_NAME } from './marker.js';
import { sweep, sweepOnce, type Identity, type SweepResult, type SweepScope } from './sweep.js';
import { lineWatcher, probeHttp, type Readiness } from './readiness.js';
import { pollUntil, type Poll } from '../util/poll.js';
import { lineSplitter } from '../util/line-splitter.js';

export { MARKER_NAME } from './marker.js';

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
}

const STDERR_TAIL = 16 * 1024;
/** a stdout line longer than this is not a readiness line: the pending part is dropped, not grown */
const MAX_PENDING_LINE = 64 * 1024;
/** how long dispose() waits for the pipes' end once the target's processes are gone */
const DRAIN_PIPES_MS = 1_000;

/** A free loopback port, chosen by the kernel. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, host);
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Whether host:port accepts a TCP connection within 500 ms (the connection is closed at once). */
export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

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

  let stderrTail = '';
  // --ready-log: either stream may carry the line
  const readyLog = spec.kind === 'command' ? spec.ready?.log : undefined;
  const watchers = readyLog ? [lineWatcher(readyLog), lineWatcher(readyLog)] : null;
  let logReady = !readyLog;
  const stdoutLines: string[] = [];
  const splitStdout = lineSplitter(
    (line) => {
      stdoutLines.push(line);
      // keep only what readiness needs
      if (stdoutLines.length > 64) stdoutLines.shift();
    },
    { maxPending: MAX_PENDING_LINE },
  );
  let lineWaiter: (() => void) | null = null;
  // lines are parsed only until the target is ready (its announcements); after that stdout is only logged
  let parsing = spec.kind === 'reference-proxy';
  child.stdout!.on('data', (chunk: Buffer) => {
    outFile.write(chunk);
    if (watchers && !logReady) logReady = watchers[0](chunk.toString('utf8'));
    ctx.onOutput?.('stdout', chunk);
    if (!parsing) return;
    splitStdout(chunk.toString('utf8'));
    lineWaiter?.();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    errFile.write(chunk);
    if (watchers && !logReady) logReady = watchers[1](chunk.toString('utf8'));
    ctx.onOutput?.('stderr', chunk);
    stderrTail = (stderrTail + chunk.subarray(-STDERR_TAIL).toString('utf8')).slice(-STDERR_TAIL);
  });
  const pipesEnded = Promise.all(
    [child.stdout!, child.stderr!].map(
      (s) =>
        new Promise<void>((r) => {
          if (s.readableEnded || s.destroyed) return r();
          s.once('end', () => r());
          s.once('close', () => r());
        }),
    ),
  );

  let disposing: Promise<{ stdout: LogRecord; stderr: LogRecord }> | null = null;
  const dispose = (): Promise<{ stdout: LogRecord; stderr: LogRecord }> =>
    (disposing ??= (async () => {
      // what the target wrote last is in the pipes: read them to their end (an orphan may hold them: bounded)
      await Promise.race([pipesEnded, lapse(DRAIN_PIPES_MS)]);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const logs = { stdout: outFile.close(), stderr: errFile.close() };
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
      stderr: stderrTail,
      exitCode: e?.code ?? null,
      signal: e?.signal ?? null,
    });
  };

  // readiness
  let pool: PoolDeclaration | null = null;
  const deadline = started + readyTimeoutMs;
  if (spec.kind === 'reference-proxy') {
    let listening: { host: string; port: number } | null = null;
    let poolSeenBy = 0;
    for (;;) {
      for (const line of stdoutLines.splice(0)) {
        listening ??= parseListening(line);
        pool ??= parsePool(line);
      }
      if (listening && !poolSeenBy) poolSeenBy = Date.now() + 1_000; // the pool line follows the listening line
      if (listening && (pool || Date.now() > poolSeenBy)) break;
      if (ctx.signal?.aborted) return fail('interrupted during start');
      if (spawnError) return fail(`cannot start ${argv[0]}: ${(spawnError as Error).message}`);
      if (exitInfo) return fail(`target exited before it accepted connections (${describeExit(exitInfo)})`);
      if (Date.now() > deadline) return fail(`target did not announce "listening" within ${readyTimeoutMs} ms`);
      await Promise.race([new Promise<void>((r) => (lineWaiter = r)), exited, lapse(100)]);
      lineWaiter = null;
    }
    host = listening.host;
    port = listening.port;
    parsing = false;
    stdoutLines.length = 0;
  } else if (spec.listens === false) {
    // nothing to wait for: the command runs from here on (a start that could not spawn fails just above, on 'error')
    await sleep(0);
    if (spawnError) return fail(`cannot start ${argv[0]}: ${(spawnError as Error).message}`);
    pool = { resident: 0, cap: Number.POSITIVE_INFINITY };
  } else {
    let foreignListener = false;
    let accepting = false;
    const readyPath = spec.ready?.path;
    // the last answer to the readiness GET (null: none yet, or no answer)
    let lastStatus: number | null = null;
    // one readiness check a poll: its value is why the start failed (giveUp), or null
    const given = (why: string): Poll<string | null> => ({ done: false, giveUp: true, value: why });
    const readiness = await pollUntil<string | null>(
      async () => {
        if (ctx.signal?.aborted) return given('interrupted during start');
        if (spawnError) return given(`cannot start ${argv[0]}: ${(spawnError as Error).message}`);
        if (exitInfo)
          return given(`target exited before it ${accepting ? 'was ready' : 'accepted connections'} (${describeExit(exitInfo)})`);
        // the port was free when picked; someone else may have bound it since: the listener must be the target's
        if (!accepting && (await canConnect(host, port))) {
          if (
            listenerBelongsToTarget(
              port,
              (p, stat) => stat.pgrp === pid || descendsFrom(p, pid) || hasMarker(p, MARKER_NAME, ctx.runId) === true,
            )
          )
            accepting = true;
          else foreignListener = true;
        }
        if (accepting && readyPath !== undefined && !(lastStatus !== null && lastStatus >= 200 && lastStatus < 300)) {
          lastStatus = await probeHttp(host, port, readyPath, Math.max(100, Math.min(1_000, deadline - Date.now())));
        }
        const pathReady = readyPath === undefined || (lastStatus !== null && lastStatus >= 200 && lastStatus < 300);
        if (accepting && pathReady && logReady) return { done: true, value: null };
        if (Date.now() > deadline) {
          if (!accepting) {
            const why = foreignListener
              ? ` (another process, not the target, was listening on ${port}: picked free, it was taken before the target bound it)`
              : ' (--ready-timeout to wait longer)';
            return given(`target did not accept connections on ${host}:${port} within ${readyTimeoutMs} ms${why}`);
          }
          const waits = [
            pathReady ? null : `answer 2xx to GET ${readyPath} (last: ${lastStatus ?? 'no answer'})`,
            logReady ? null : `write a line matching /${readyLog!.source}/`,
          ].filter(Boolean);
          return given(
            `target accepted connections on ${host}:${port} but did not ${waits.join(' or ')} within ${readyTimeoutMs} ms (--ready-timeout to wait longer)`,
          );
        }
        return { done: false, value: null };
      },
      { initialMs: 50, maxMs: 50, factor: 1, cap: () => (accepting ? 100 : 50) },
    );
    if (!readiness.held) return fail(readiness.value ?? 'target did not become ready');
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
    stderrTail: () => stderrTail,
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

export function describeExit(e: TargetExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

/** Whether `pid` is `root` or one of its descendants, by the ppid chain in /proc. */
function descendsFrom(pid: number, root: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === root) return true;
    p = readStat(p)?.ppid ?? 0;
  }
  return false;
}
