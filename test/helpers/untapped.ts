// tap injects its processinfo loader into every Node process a test spawns (through NODE_OPTIONS, even when
// the test passes its own env). A proxy started that way loads the loader on every process start, and each
// per-connection child writes a processinfo record: slower, and not the program users run. `env -u
// NODE_OPTIONS` execs node in place (same pid, same process group), so the target runs as it would anywhere.
export function untappedNode(args: string[]): [command: string, args: string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', process.execPath, ...args]];
}
