// external: any load tool drives the load phase (`--load-cmd "<tool … {port}>"`, or a suite entry). Suite entry:
//   { "generator": "external", "command": "wrk -d5s http://{host}:{port}/" | [argv…], "duration": "5s",
//     "until": "duration" | "exit", "timeout": "10m" }
// The tool starts when the load phase does (after the baseline), in its own process group, without the run's
// marker (it is not the target's). until "duration" (default): still running 3 s after the load duration (time to
// print its results, for a tool told to run {duration}) it gets SIGTERM (its group), then SIGKILL after 2 s; until "exit": the harness waits for it to finish by itself, bounded by
// "timeout". Its exit and output are recorded (load-<name>.stdout.log / .stderr.log in the run directory, capped);
// when the output is a known format (parse-load-output.ts) its counts and latencies are the generator's stats.
// Placeholders in the command: {port} {host} {url} (http://host:port/) {origin} (the harness's origin, host:port)
// {duration} (whole seconds) {connections}.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { splitCommand } from '../../compare/plan.js';
import { UsageError } from '../../util/errors.js';
import { CappedLog } from '../capped-log.js';
import { registerCleanup, signalGroup } from '../cleanup.js';
import { MARKER_NAME } from '../marker.js';
import { readStat } from '../probes/proc-reader.js';
import { reapAdopted } from '../subreaper.js';
import { sweep } from '../sweep.js';
import { EntryReader } from './entry.js';
import { takeKeys } from './entry-extra.js';
import type { GeneratorDefaults, GeneratorFactory, LoadContext, LoadGenerator, LoadOutcome } from './generator.js';
import { roundMs } from './generator.js';
import { parseLoadOutput } from './parse-load-output.js';
import { assembleOutcome, noLatency } from './driver.js';

export interface ExternalConfig {
  argv: string[];
  durationMs: number;
  connections: number;
  until: 'duration' | 'exit';
  timeoutMs: number;
}

/** SIGTERM → SIGKILL grace when the harness stops the tool */
const STOP_GRACE_MS = 2_000;
/** a tool told to run {duration} ends about then and prints its results: this long past the duration first */
const FINISH_GRACE_MS = 3_000;
/** stdout kept in memory for parsing (the log keeps head and tail of anything longer) */
const PARSE_CAP = 4 * 1024 * 1024;

export function substitute(argv: readonly string[], values: Record<string, string>): string[] {
  return argv.map((a) => a.replace(/\{(\w+)\}/g, (m, key: string) => values[key] ?? m));
}

export function parseExternalEntry(name: string, entry: Record<string, unknown>, defaults: GeneratorDefaults): ExternalConfig {
  const where = `load "${name}"`;
  const { taken, rest } = takeKeys(entry, ['command']);
  const raw = taken.command;
  const argv =
    typeof raw === 'string' ? splitCommand(raw) : Array.isArray(raw) && raw.every((w) => typeof w === 'string') ? (raw as string[]) : null;
  if (!argv || argv.length === 0) throw new UsageError(`${where}.command must be a command line or an argv list`);
  const r = new EntryReader(where, rest);
  const config: ExternalConfig = {
    argv,
    durationMs: r.duration('duration', defaults.durationMs),
    connections: r.count('connections', defaults.connections, 1, 100_000),
    until: r.oneOf('until', ['duration', 'exit'] as const) ?? 'duration',
    timeoutMs: r.duration('timeout', 600_000),
  };
  r.done();
  return config;
}

export const createExternal: GeneratorFactory = (name, entry, defaults) =>
  new ExternalLoad(name, parseExternalEntry(name, entry, defaults));

export class ExternalLoad implements LoadGenerator {
  constructor(
    readonly name: string,
    readonly config: ExternalConfig,
  ) {}

  // no runConnectionLoops: the tool makes the connections; the driver only assembles the outcome
  async run(ctx: LoadContext): Promise<LoadOutcome> {
    const durationMs = roundMs(ctx, this.config.durationMs);
    const { host, port } = ctx.target;
    const argv = substitute(this.config.argv, {
      port: String(port),
      host,
      url: `http://${host}:${port}/`,
      origin: `${ctx.origin.host}:${ctx.origin.port}`,
      duration: String(Math.max(1, Math.round(durationMs / 1000))),
      connections: String(this.config.connections),
    });
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), TARGET_HOST: host, TARGET_PORT: String(port) };
    // not the target's: a marked load tool would be judged as the target's orphan
    delete env[MARKER_NAME];
    const logs = ctx.runDir
      ? {
          out: new CappedLog(join(ctx.runDir, `load-${this.name}.stdout.log`)),
          err: new CappedLog(join(ctx.runDir, `load-${this.name}.stderr.log`)),
        }
      : null;
    const started = ctx.clock();
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      logs?.out.close();
      logs?.err.close();
      return this.outcome(null, '', { code: null, signal: null }, false, 0, `cannot start ${argv[0]}: ${(err as Error).message}`, ctx);
    }
    const pid = child.pid;
    // a child of the harness: not one of the target's orphans (the subreaper's adoption test)
    if (pid) ctx.ownChild?.(pid);
    const toolStart = pid ? (readStat(pid)?.starttime ?? 0) : 0;
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => {
      logs?.out.write(c);
      if (stdout.length < PARSE_CAP) stdout += c.toString('utf8');
    });
    // some tools print their summary on stderr (Locust): its tail is parsed when stdout is in no known format
    let stderrTail = '';
    child.stderr!.on('data', (c: Buffer) => {
      logs?.err.write(c);
      stderrTail = (stderrTail + c.toString('utf8')).slice(-PARSE_CAP);
    });
    let spawnError: string | null = null;
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once('error', (err) => {
        spawnError = err.message;
        resolve({ code: null, signal: null });
      });
      // 'exit', not 'close': a child the tool left may hold its pipes open
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const pipesClosed = new Promise<void>((r) => child.once('close', () => r()));
    // its group is provably the tool's while the leader is our unreaped child
    const groupIsOurs = (): boolean => pid !== undefined && child.exitCode === null && child.signalCode === null;
    const release = registerCleanup(() => {
      if (groupIsOurs()) signalGroup(pid!, 'SIGKILL');
    });
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (!groupIsOurs()) return;
      stopped = true;
      signalGroup(pid!, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!killed && groupIsOurs()) signalGroup(pid!, 'SIGKILL');
    };
    const bound = this.config.until === 'exit' ? this.config.timeoutMs : durationMs + FINISH_GRACE_MS;
    const onAbort = (): void => void stop();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const done = await Promise.race([exited.then(() => true), sleep(bound).then(() => false)]);
      if (!done) await stop();
      const exit = await exited;
      // what the tool left in its group once its leader is gone (a worker, a `&` child): ended one by one, each
      // re-identified right before the signal (its group id, born after the tool: the group cannot have been reused
      // while any of them was in it)
      if (pid) await sweep({ markers: [], adopted: (st) => st.pgrp === pid && st.starttime >= toolStart, reap: reapAdopted });
      // the last of its output (bounded: a descendant outside its group may still hold the pipes)
      await Promise.race([pipesClosed, sleep(1_000)]);
      return this.outcome(
        stdout,
        stderrTail,
        exit,
        stopped,
        ctx.clock() - started,
        spawnError ? `cannot start ${argv[0]}: ${spawnError}` : null,
        ctx,
      );
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      release();
      logs?.out.close();
      logs?.err.close();
    }
  }

  private outcome(
    stdout: string | null,
    stderr: string,
    exit: { code: number | null; signal: string | null },
    stopped: boolean,
    ms: number,
    startError: string | null,
    ctx: LoadContext,
  ): LoadOutcome {
    const parsed = stdout === null ? null : (parseLoadOutput(stdout) ?? parseLoadOutput(stderr));
    const incidents: LoadOutcome['incidents'] = [];
    const counts: LoadOutcome['counts'] = {};
    if (startError) {
      counts.error = 1;
      incidents.push({ kind: 'error', generator: this.name, id: 'command', detail: startError, atMs: Math.round(ctx.clock()) });
    }
    const unexpected = parsed ? unexpectedStatuses(parsed, ctx) : 0;
    if (unexpected > 0) {
      counts['unexpected-status'] = unexpected;
      incidents.push({
        kind: 'unexpected-status',
        generator: this.name,
        id: 'summary',
        detail: `status ${Object.keys(parsed!.statuses)
          .filter((k) => !/^\d+$/.test(k) || !ctx.expectStatus(Number(k)))
          .join(', ')} in ${unexpected} responses (as the tool reported them)`,
        atMs: Math.round(ctx.clock()),
      });
    }
    // the counts are the tool's (an unexpected-status incident stands for all it reported), not an IncidentLog's
    return assembleOutcome({
      generator: this.name,
      durationMs: Math.round(ms),
      requests: parsed ? parsed.requests : 0,
      errors: parsed ? parsed.errors : startError ? 1 : 0,
      timeouts: parsed ? parsed.timeouts : 0,
      statuses: parsed ? parsed.statuses : {},
      latencyMs: parsed ? parsed.latencyMs : noLatency(),
      extra: {
        // -1: no exit code (killed by a signal, or never started)
        exitCode: exit.code ?? -1,
        stopped: stopped ? 1 : 0,
        parsed: parsed ? 1 : 0,
        ...(parsed ? { non2xx: parsed.non2xx } : {}),
      },
      log: { counts, incidents },
    });
  }
}

/**
 * Responses the error budget counts as unexpected. Server mode: by code where the tool names them (autocannon), else
 * its non-2xx count (wrk). Proxy mode: none — a general-purpose tool speaks origin-form to the forward proxy, which
 * answers 400 by contract; those statuses are reported, and the cleanup checks judge what the connections did.
 */
export function unexpectedStatuses(
  parsed: ReturnType<typeof parseLoadOutput> & object,
  ctx: Pick<LoadContext, 'mode' | 'expectStatus'>,
): number {
  if (ctx.mode === 'proxy') return 0;
  const byCode = Object.entries(parsed.statuses).filter(([k]) => /^\d{3}$/.test(k));
  if (byCode.length === 0) return parsed.non2xx;
  return byCode.reduce((n, [code, count]) => (ctx.expectStatus(Number(code)) ? n : n + count), 0);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * `--load-cmd`: the suite's load with the tools beside it when a suite was named (flag or config), else the tools
 * alone on the suite's timings and tolerances ("load-cmd", named so in reports).
 */
export function withLoadCommands<S extends { name: string; load: Record<string, unknown>[] }>(
  suite: S,
  commands: readonly string[],
  until: 'duration' | 'exit' | undefined,
  suiteNamed: boolean,
): S {
  if (commands.length === 0) return suite;
  const entries = commands.map((command, i) => ({
    generator: 'external',
    name: commands.length > 1 ? `load-cmd-${i + 1}` : 'load-cmd',
    command,
    ...(until ? { until } : {}),
  }));
  return suiteNamed ? { ...suite, load: [...suite.load, ...entries] } : { ...suite, name: 'load-cmd', load: entries };
}
