// Loads the handoff_fork N-API addon (native/, built by scripts/build-native.mjs on npm install, or by
// `handoff build-native` where install scripts are refused). When it is
// missing or cannot load, the reason is kept so `--strategy fork` can say in one line why it is unavailable.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export interface ForkAddon {
  /** madvise(MADV_DOFORK) over all mappings, fork(); the child also runs uv_loop_fork and watches the death pipe. 0 in the child. */
  forkChild(deathReadFd: number, deathWriteFd: number): number;
  /** -1 still running, -2 not a child of ours, else exit code, or 256 + signal. peekOnly leaves the zombie. */
  reap(pid: number, peekOnly: boolean): number;
  deathPipe(): [number, number];
  closeFd(fd: number): void;
  /** _exit(): no atexit handlers, no V8 teardown */
  exitNow(code: number): never;
  /** add/remove a listening fd in libuv's epoll set: the zygote stops accepting at --max-children */
  setAccepting(listenFd: number, on: boolean): void;
  /** execv() in place (same pid); returns only by throwing */
  execSelf(path: string, argv: string[]): never;
  /** the real pid: Node caches process.pid, which a forked child inherits */
  getpid(): number;
  /** what forkChild does first: MADV_DOFORK over every mapping; 1 = in two madvise calls, 2 = by the maps scan (the fallback, forced by scan = true) */
  adviseDoFork(scan?: boolean): 1 | 2;
  /** in a child forked ahead: close its copy of the stand-down pipe's write end, _exit(0) on EOF of the read end */
  becomeSpare(standDownReadFd: number, standDownWriteFd: number): void;
  /** dup() with O_CLOEXEC */
  dupFd(fd: number): number;
  /** the spare took a connection: stop watching the stand-down pipe, write "<pid>\n" to the zygote, close both */
  takeSpare(notifyWriteFd: number): void;
  /** prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented to this process (the harness) */
  becomeSubreaper(): void;
}

export const ADDON_PATH = join(packageRoot, 'native', 'build', 'Release', 'handoff_fork.node');
/** Written by scripts/build-native.mjs when the build could not run (no compiler, no headers). */
export const BUILD_FAILURE_NOTE = join(packageRoot, 'native', 'build', 'UNAVAILABLE');

export type AddonLoad = { ok: true; addon: ForkAddon } | { ok: false; reason: string };

let cached: AddonLoad | null = null;

export function loadForkAddon(): AddonLoad {
  if (cached) return cached;
  cached = load();
  return cached;
}

function load(): AddonLoad {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `fork() per connection is implemented for Linux only (this is ${process.platform})` };
  }
  if (!existsSync(ADDON_PATH)) {
    // no note: the install script never ran (npm install --ignore-scripts, or a policy that holds scripts back)
    if (!existsSync(BUILD_FAILURE_NOTE)) {
      return {
        ok: false,
        reason:
          'the native addon was not built (install scripts did not run); run `npx handoff build-native` (it needs a C compiler, make and python3)',
      };
    }
    const note = readFileSync(BUILD_FAILURE_NOTE, 'utf8').trim().split('\n')[0];
    return {
      ok: false,
      reason: `the native addon could not be built${note ? ` (${note})` : ''}; install a C compiler, make and python3, then run \`npx handoff build-native\``,
    };
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as ForkAddon;
    return { ok: true, addon };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, reason: `the native addon failed to load: ${msg}; rebuild it with \`npx handoff build-native\`` };
  }
}
