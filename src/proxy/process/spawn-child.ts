// Starting a child of the reference proxy: compiled JS (never TypeScript), no inherited execArgv (a tsx
// loader would cost every child hundreds of ms), options as JSON in the environment, stdout closed (the
// master's stdout carries the `listening`/`pool` lines the harness parses), stderr shared, an IPC channel
// always (it is also the death pipe: a child exits when it closes).
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type net from 'node:net';
import { compiled } from '../../paths.js';
import type { ProxyOptions } from '../options.js';
import { OPTIONS_ENV, SPARE_ENV, type ChildRole } from './messages.js';
import { markSpawnFailed } from './escalate.js';

let childEntry: string | null = null;
/** Path of the compiled child entry, checked once. */
export function childEntryPath(): string {
  childEntry ??= compiled('src/proxy/child.js');
  return childEntry;
}

export interface SpawnedChild {
  proc: ChildProcess;
  /** fd 3 of the child when a socket was inherited through stdio */
  inheritedFd: number | null;
}

/**
 * Spawns a child. With `inherit`, the socket's descriptor is duplicated into the child as fd 3 (the
 * fork-and-close model); the caller must destroy its own copy after 'spawn'. Throws what spawn throws
 * synchronously (e.g. EMFILE creating the IPC socketpair); asynchronous spawn errors mark the child failed.
 * A `spare` (per-connection, booted ahead of demand) is told so through the environment, not argv: its
 * cmdline stays the same as any per-connection child's.
 */
export function spawnChild(role: ChildRole, options: ProxyOptions, inherit?: net.Socket, spare = false): SpawnedChild {
  const stdio: StdioOptions = inherit ? ['ignore', 'ignore', 'inherit', inherit, 'ipc'] : ['ignore', 'ignore', 'inherit', 'ipc'];
  const proc = spawn(process.execPath, [childEntryPath(), role], {
    stdio,
    env: { ...process.env, [OPTIONS_ENV]: JSON.stringify(options), [SPARE_ENV]: spare ? '1' : '0' },
    serialization: 'json',
  });
  proc.on('error', () => markSpawnFailed(proc));
  return { proc, inheritedFd: inherit ? 3 : null };
}
