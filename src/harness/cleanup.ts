// Last-resort cleanup of the process groups a run started. While any group is registered, SIGINT/SIGTERM
// delivered to the harness kill them before the harness exits, and the 'exit' event SIGKILLs whatever is still
// registered (process.kill is synchronous, so this works even on process.exit()). Handlers are removed as soon
// as the last group is released, so a programmatic caller's own signal handling is untouched between runs.

type Killer = (signal: NodeJS.Signals) => void;

const killers = new Set<Killer>();
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const k of killers) k('SIGTERM');
  // give the tree a moment to exit politely, then make sure
  setTimeout(() => {
    for (const k of killers) k('SIGKILL');
    killers.clear();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }, 300);
}

function onExit(): void {
  for (const k of killers) k('SIGKILL');
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

/** Sends a signal to a whole process group; false when the group is gone. */
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
