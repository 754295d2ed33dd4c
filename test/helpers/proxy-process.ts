// Launch `handoff serve` as a real process in its own process group (compiled CLI, never TypeScript),
// wait for its `listening` line, and kill the whole group on every path.
import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath } from '../../src/paths.js';
import { untappedNode } from './untapped.js';
import { parseListening, parsePool } from '../../src/proxy/protocol.js';
import type { PoolDeclaration } from '../../src/proxy/protocol.js';
import { lineSplitter } from '../../src/util/line-splitter.js';

export interface ProxyProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly pool: PoolDeclaration | null;
  /** stdout + stderr so far, for diagnostics */
  output(): string;
  /** resolves with the exit code / signal (already resolved once it exited) */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGKILL the whole process group (idempotent, safe after exit) */
  killGroup(): void;
}

// Last resort if a test process exits without its teardown: no proxy group outlives it.
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** `env`: added to this process's environment (HANDOFF_PROXY_AUTH, say). */
export async function startProxy(
  strategy: string,
  args: string[],
  readyTimeoutMs = 20_000,
  env: NodeJS.ProcessEnv = {},
): Promise<ProxyProcess> {
  const child = spawn(...untappedNode([cliPath(), 'serve', '--strategy', strategy, '--port', '0', ...args]), {
    detached: true,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('handoff serve did not start');
  let out = '';
  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
  });
  liveGroups.add(pid);
  const killGroup = (): void => {
    liveGroups.delete(pid);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // group already gone
    }
  };
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));

  try {
    const { port, pool } = await new Promise<{ port: number; pool: PoolDeclaration | null }>((resolve, reject) => {
      let port: number | null = null;
      const timer = setTimeout(() => reject(new Error(`no listening line within ${readyTimeoutMs} ms:\n${out}`)), readyTimeoutMs);
      const split = lineSplitter((line) => {
        const l = parseListening(line);
        if (l) port = l.port;
        const p = parsePool(line);
        if (p && port !== null) {
          clearTimeout(timer);
          resolve({ port, pool: p });
        }
      });
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        split(d.toString());
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`handoff serve exited (${code ?? signal}) before listening:\n${out}`));
      });
    });
    return { child, pid, port, pool, output: () => out, exited, alive: () => !exitedFlag, killGroup };
  } catch (err) {
    killGroup();
    throw err;
  }
}

/** Is any process of the group still there? */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Poll until cond() or the deadline; resolves with whether cond() became true. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
