// Last-resort cleanup of what a process started. While anything is registered, the 'exit' event runs every
// killer synchronously (process.kill is synchronous, so this works even on process.exit()), and SIGINT/SIGTERM
// delivered to the process run them too before it exits — unless a run watches for interruptions itself
// (interrupt.ts claims the signals: it sweeps and records the run as interrupted). A target's killer is its
// synchronous sweep (sweep.ts: its group only while provably its own, then the run's processes by identity).
// Handlers are removed as soon as the last registration is released, so an embedding program is untouched between runs.

type Killer = (signal: NodeJS.Signals) => void;

const killers = new Set<Killer>();
let installed = false;
let claims = 0;

function runAll(signal: NodeJS.Signals): void {
  for (const k of killers) {
    try {
      k(signal);
    } catch {
      /* the next one still runs */
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (claims > 0) return;
  runAll('SIGTERM');
  // give the tree a moment to exit politely, then make sure
  setTimeout(() => {
    runAll('SIGKILL');
    killers.clear();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }, 300);
}

function onExit(): void {
  runAll('SIGKILL');
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('exit', onExit);
}

/** Registers a killer; returns its release function. */
export function registerCleanup(kill: Killer): () => void {
  killers.add(kill);
  install();
  return () => {
    killers.delete(kill);
    if (killers.size === 0) uninstall();
  };
}

/** interrupt.ts: while claimed, SIGINT/SIGTERM are the run's to handle (the 'exit' hook still runs). */
export function claimSignals(): () => void {
  claims++;
  let released = false;
  return () => {
    if (!released) {
      released = true;
      claims--;
    }
  };
}

/** Sends a signal to a whole process group; false when the group is gone. Callers prove the group is theirs. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
