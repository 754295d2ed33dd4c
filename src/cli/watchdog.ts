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
