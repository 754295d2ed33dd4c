// The wait until a launched target is ready, or why it never was: the reference proxy once it announced
// "listening" (and its pool) on stdout; a command once its port accepts, the listener is its own (not another
// process that took the port), and --ready-path / --ready-log hold (readiness.ts). Either gives up on an
// interrupt, a spawn error, an exit or the deadline, with the reason target.ts reports.
import { MARKER_NAME } from './marker.js';
import { canConnect } from './ports.js';
import { listenerBelongsToTarget } from './probes/listener-owner.js';
import { hasMarker, readStat } from './probes/proc-reader.js';
import { probeHttp, type Readiness } from './readiness.js';
import type { TargetOutput } from './target-output.js';
import type { TargetExit } from './target.js';
import { parseListening, parsePool, type PoolDeclaration } from '../proxy/protocol.js';
import { pollUntil, type Poll } from '../util/poll.js';

/** for Promise.race: a losing timer must not keep the harness alive */
const lapse = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** What a wait watches besides the target itself: why it would give up. */
export interface StartWatch {
  signal: AbortSignal | undefined;
  /** the program of the target's argv (for "cannot start …") */
  program: string;
  spawnError(): Error | null;
  exit(): TargetExit | null;
  exited: Promise<TargetExit>;
  deadline: number;
  readyTimeoutMs: number;
}

export function describeExit(e: TargetExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

/** Why the start is over already (interrupted, not spawned, exited), or null. */
function endedWhy(w: StartWatch, exitedBefore: string): string | null {
  if (w.signal?.aborted) return 'interrupted during start';
  const spawnError = w.spawnError();
  if (spawnError) return `cannot start ${w.program}: ${spawnError.message}`;
  const exit = w.exit();
  if (exit) return `target exited before it ${exitedBefore} (${describeExit(exit)})`;
  return null;
}

/** The reference proxy's announcements: where it listens and its pool (the pool line follows within a second). */
export async function awaitAnnouncement(
  output: TargetOutput,
  w: StartWatch,
): Promise<{ listening: { host: string; port: number }; pool: PoolDeclaration | null } | { failed: string }> {
  let listening: { host: string; port: number } | null = null;
  let pool: PoolDeclaration | null = null;
  let poolSeenBy = 0;
  for (;;) {
    for (const line of output.takeLines()) {
      listening ??= parseListening(line);
      pool ??= parsePool(line);
    }
    if (listening && !poolSeenBy) poolSeenBy = Date.now() + 1_000; // the pool line follows the listening line
    if (listening && (pool || Date.now() > poolSeenBy)) return { listening, pool };
    const ended = endedWhy(w, 'accepted connections');
    if (ended) return { failed: ended };
    if (Date.now() > w.deadline) return { failed: `target did not announce "listening" within ${w.readyTimeoutMs} ms` };
    await Promise.race([output.nextChunk(), w.exited, lapse(100)]);
  }
}

/** A command target: null once it is ready, else why it did not become ready. */
export async function awaitCommandReady(
  target: { pid: number; host: string; port: number; runId: string; ready: Readiness | undefined },
  output: TargetOutput,
  w: StartWatch,
): Promise<string | null> {
  const { pid, host, port } = target;
  let foreignListener = false;
  let accepting = false;
  const readyPath = target.ready?.path;
  const readyLog = target.ready?.log;
  // the last answer to the readiness GET (null: none yet, or no answer)
  let lastStatus: number | null = null;
  // one readiness check a poll: its value is why the start failed (giveUp), or null
  const given = (why: string): Poll<string | null> => ({ done: false, giveUp: true, value: why });
  const readiness = await pollUntil<string | null>(
    async () => {
      const ended = endedWhy(w, accepting ? 'was ready' : 'accepted connections');
      if (ended) return given(ended);
      // the port was free when picked; someone else may have bound it since: the listener must be the target's
      if (!accepting && (await canConnect(host, port))) {
        if (
          listenerBelongsToTarget(
            port,
            (p, stat) => stat.pgrp === pid || descendsFrom(p, pid) || hasMarker(p, MARKER_NAME, target.runId) === true,
          )
        )
          accepting = true;
        else foreignListener = true;
      }
      if (accepting && readyPath !== undefined && !(lastStatus !== null && lastStatus >= 200 && lastStatus < 300)) {
        lastStatus = await probeHttp(host, port, readyPath, Math.max(100, Math.min(1_000, w.deadline - Date.now())));
      }
      const pathReady = readyPath === undefined || (lastStatus !== null && lastStatus >= 200 && lastStatus < 300);
      const logReady = output.logReady();
      if (accepting && pathReady && logReady) return { done: true, value: null };
      if (Date.now() > w.deadline) {
        if (!accepting) {
          const why = foreignListener
            ? ` (another process, not the target, was listening on ${port}: picked free, it was taken before the target bound it)`
            : ' (--ready-timeout to wait longer)';
          return given(`target did not accept connections on ${host}:${port} within ${w.readyTimeoutMs} ms${why}`);
        }
        const waits = [
          pathReady ? null : `answer 2xx to GET ${readyPath} (last: ${lastStatus ?? 'no answer'})`,
          logReady ? null : `write a line matching /${readyLog!.source}/`,
        ].filter(Boolean);
        return given(
          `target accepted connections on ${host}:${port} but did not ${waits.join(' or ')} within ${w.readyTimeoutMs} ms (--ready-timeout to wait longer)`,
        );
      }
      return { done: false, value: null };
    },
    { initialMs: 50, maxMs: 50, factor: 1, cap: () => (accepting ? 100 : 50) },
  );
  return readiness.held ? null : (readiness.value ?? 'target did not become ready');
}

/** Whether `pid` is `root` or one of its descendants, by the ppid chain in /proc. */
function descendsFrom(pid: number, root: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === root) return true;
    p = readStat(p)?.ppid ?? 0;
  }
  return false;
}
