// Ending child processes the way Apache's parent does: ask, wait, SIGTERM, wait, SIGKILL, and only
// return once every one of them has been reaped (Node reaps a ChildProcess before it emits 'exit').
import type { ChildProcess } from 'node:child_process';

export interface EscalationTimes {
  /** after SIGTERM, how long before SIGKILL */
  termMs: number;
  /** after SIGKILL, how long we still wait for 'exit' before giving up (a process in D state) */
  killMs: number;
}

export const DEFAULT_ESCALATION: EscalationTimes = { termMs: 2_000, killMs: 3_000 };

/** True while the process has not been reaped yet. */
export function isRunning(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined && !spawnFailed.has(proc);
}

const spawnFailed = new WeakSet<ChildProcess>();
/** Spawn errors never produce 'exit': remember them so waiting never hangs on such a child. */
export function markSpawnFailed(proc: ChildProcess): void {
  spawnFailed.add(proc);
}

/** Resolves once the process is reaped, or after timeoutMs (false). */
export function waitExit(proc: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!isRunning(proc)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      proc.off('exit', onExit);
      proc.off('error', onError);
      resolve(ok);
    };
    const onExit = (): void => done(true);
    const onError = (): void => {
      if (!isRunning(proc)) done(true);
    };
    const timer = setTimeout(() => done(false), Math.max(0, timeoutMs));
    proc.on('exit', onExit);
    proc.on('error', onError);
  });
}

/** Sends a signal without throwing on a process that is already gone. */
export function signal(proc: ChildProcess, sig: NodeJS.Signals): void {
  if (!isRunning(proc)) return;
  try {
    proc.kill(sig);
  } catch {
    // ESRCH between the check and the kill: it is exiting anyway
  }
}

/** SIGTERM, then SIGKILL the stragglers, then wait for every 'exit'. Resolves with the pids still unreaped. */
export async function terminate(procs: Iterable<ChildProcess>, times: EscalationTimes = DEFAULT_ESCALATION): Promise<number[]> {
  const live = [...procs].filter(isRunning);
  for (const p of live) signal(p, 'SIGTERM');
  await Promise.all(live.map((p) => waitExit(p, times.termMs)));
  const stragglers = live.filter(isRunning);
  for (const p of stragglers) signal(p, 'SIGKILL');
  await Promise.all(stragglers.map((p) => waitExit(p, times.killMs)));
  return stragglers.filter(isRunning).map((p) => p.pid as number);
}

/** The full shutdown ladder: wait up to graceMs for voluntary exits, then terminate(). */
export async function drainThenTerminate(
  procs: () => Iterable<ChildProcess>,
  graceMs: number,
  times: EscalationTimes = DEFAULT_ESCALATION,
): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  await Promise.all([...procs()].map((p) => waitExit(p, deadline - Date.now())));
  return terminate(procs(), times);
}
