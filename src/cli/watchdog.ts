// If the harness has not exited a few seconds after its run ended, something still holds the event loop
// (a socket, a timer, a child's pipe): say what, and exit non-zero instead of hanging a CI job.
// The timer is unref'd, so it fires only when something else keeps the process alive.

export function armWatchdog(opts: { exitCode: number; why: ((logger?: Console) => void) | null; afterMs?: number }): NodeJS.Timeout {
  const afterMs = opts.afterMs ?? Number(process.env.HANDOFF_WATCHDOG_MS ?? 5_000);
  const timer = setTimeout(() => {
    const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    process.stderr.write(
      `handoff: watchdog: the harness did not exit ${afterMs} ms after the run; still active: ${resources.join(', ') || 'nothing reported'}\n`,
    );
    if (opts.why) opts.why(console);
    else process.stderr.write('handoff: watchdog: set HANDOFF_WHY=1 for stack traces of what keeps it alive\n');
    // keep a failing verdict's code; a passing run that hangs is still a failure of the harness
    process.exit(opts.exitCode !== 0 ? opts.exitCode : 70);
  }, afterMs);
  timer.unref();
  return timer;
}

type Why = (logger?: Console) => void;

/**
 * why-is-node-running, loaded only on HANDOFF_WHY=1 (it hooks async_hooks for the whole process) and only where
 * installed: it is a development dependency, so a user's install may lack it — then one line says how to add it.
 */
export async function loadWhy(err: (s: string) => void): Promise<Why | null> {
  if (process.env.HANDOFF_WHY !== '1') return null;
  try {
    return (await import('why-is-node-running')).default as Why;
  } catch {
    err('handoff: HANDOFF_WHY=1 needs why-is-node-running, which is not installed (npm install --save-dev why-is-node-running)\n');
    return null;
  }
}

export interface CommandIo {
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** arm the watchdog when the command ends (default true; tests that call a command in-process turn it off) */
  watchdog?: boolean;
}

/**
 * The shell every long-running command (stress, exec) runs in: its output streams, why-is-node-running loaded
 * before the handles it explains, and the watchdog armed with the command's exit code (70 for a crash, a
 * UsageError's own code) however it ends.
 */
export async function commandShell(
  io: CommandIo,
  body: (out: (s: string) => void, err: (s: string) => void) => Promise<number>,
): Promise<number> {
  const out = io.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = io.stderr ?? ((s: string) => void process.stderr.write(s));
  const why = await loadWhy(err);
  let exitCode = 70;
  try {
    exitCode = await body(out, err);
    return exitCode;
  } catch (e) {
    exitCode = (e as { exitCode?: number }).exitCode ?? 70;
    throw e;
  } finally {
    if (io.watchdog ?? true) armWatchdog({ exitCode, why });
  }
}
