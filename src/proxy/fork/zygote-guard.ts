// The conditions under which fork() of this Node process yields a sound child (docs/fork.md explains each).
// Checked once before the zygote listens, and the threadpool one again before every fork.
import inspector from 'node:inspector';
import { isMainThread } from 'node:worker_threads';
import { resolve } from 'node:path';
import { packageRoot } from '../../paths.js';
import { UsageError } from '../../util/errors.js';
import type { ForkAddon } from '../../native/addon.js';

export const SINGLE_THREADED_FLAG = '--single-threaded';
/** Set on the re-exec so a second attempt refuses instead of looping. */
export const REEXEC_ENV = 'HANDOFF_FORK_REEXEC';
/** Set by a user (or a test) who wants the refusal instead of the automatic re-exec. */
export const NO_REEXEC_ENV = 'HANDOFF_FORK_NO_REEXEC';

/**
 * Not needed for soundness, only for speed: Node copies its own machine code onto anonymous 2 MiB pages, so a
 * forked child inherits the mapping with the page tables instead of faulting the `node` binary's text in page by
 * page (about 150 faults and 0.3 ms of kernel time per child here). `silent`: no complaint where THP is off.
 */
export const LARGE_PAGES_FLAG = '--use-largepages=silent';

/**
 * Also only for speed: compile every function when its script loads (`--no-lazy`) and never drop bytecode of
 * functions that have not run for a while (`--no-flush-bytecode`). Code that only children and spares run (a
 * spare's own server, the child's set-up, paths of node:http the rehearsal missed) was otherwise compiled from
 * source in every child, once per connection, and thrown away at its exit; and the zygote, which no longer runs
 * the request path after its warm-up, would let V8 flush that path's bytecode after a few full GCs. Measured
 * here: about 1.4 MiB more in the zygote, 5-10 % less CPU and 30 fewer faults per child.
 */
export const EAGER_COMPILE_FLAGS = ['--no-lazy', '--no-flush-bytecode'] as const;

/**
 * Also only for speed: a young generation of 1 MiB semi-spaces instead of up to 16. fork() copies the page table
 * entry of every present anonymous page and each child's exit tears them down again: that is most of a fork
 * child's cost (docs/fork.md). The warm-up grows the young generation to several MiB of touched 4 KiB pages
 * that every fork then copies; the zygote itself allocates little once warm, and a child's one connection fits.
 */
export const SMALL_YOUNG_GENERATION_FLAG = '--max-semi-space-size=1';

/**
 * Also only for speed: call V8's builtins where they are, in the `node` binary's text, instead of copying them
 * next to the JIT code for shorter calls. With LARGE_PAGES_FLAG the text is anonymous memory on 2 MiB pages, and
 * the copy V8 makes of it is 1.6 MiB of anonymous 4 KiB pages: ~400 page-table entries that every fork() copies
 * and every child's exit tears down, 7 % of the zygote's (docs/fork.md, the fork floor).
 */
export const NO_BUILTINS_COPY_FLAG = '--no-short-builtin-calls';

/**
 * Also only for speed: no memory reducer. Some seconds after the zygote goes quiet (~8 s here), V8's memory
 * reducer runs three full GCs to shrink the heap; the warm-up's objects are dead by then, and every TurboFan
 * function that embedded one of them is thrown away ("marking dependent code … reason: weak objects": ~130 of
 * the request path's, nearly all of it). Every child forked after that ran the path at baseline tier, its inline
 * caches missing: child CPU per connection 4.6–5.1 against 2.5–2.8 ms, p50 at c=1 ~1.8 × (docs/fork.md).
 */
export const NO_MEMORY_REDUCER_FLAG = '--no-memory-reducer';

/** The flags the re-exec adds for speed, minus those the user already set (either way round). */
export function speedFlags(execArgv: readonly string[]): string[] {
  const named = (flag: string): string =>
    flag
      .replace(/^--(no-)?/, '')
      .replace(/=.*$/, '')
      .replaceAll('_', '-');
  const given = new Set(execArgv.map(named));
  return [LARGE_PAGES_FLAG, ...EAGER_COMPILE_FLAGS, SMALL_YOUNG_GENERATION_FLAG, NO_BUILTINS_COPY_FLAG, NO_MEMORY_REDUCER_FLAG].filter(
    (flag) => !given.has(named(flag)),
  );
}

export function singleThreadedInEffect(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((a) => a === SINGLE_THREADED_FLAG || a === '--single_threaded');
}

/**
 * Make this process a valid zygote, or throw a UsageError saying why it cannot be one. When V8's
 * --single-threaded is missing, the process re-executes itself in place (same pid) with the flag added (and
 * the speed flags above), once.
 */
export function ensureZygote(addon: ForkAddon): void {
  if (!isMainThread) throw new UsageError('--strategy fork must run on the main thread (not inside a Worker)');
  if (inspector.url() !== undefined) {
    throw new UsageError('--strategy fork refuses to run with the inspector active (its thread and sockets cannot be forked)');
  }
  if (singleThreadedInEffect()) return;
  // Only `handoff serve` itself is re-executed: any other host process (a test runner) gets the refusal.
  const script = process.argv[1] ? resolve(process.argv[1]) : '';
  const isServeCli = script === resolve(packageRoot, 'dist', 'src', 'cli', 'main.js') && process.argv.includes('serve');
  if (!isServeCli || process.env[REEXEC_ENV] === '1' || process.env[NO_REEXEC_ENV] === '1') {
    throw new UsageError(
      `--strategy fork needs V8's ${SINGLE_THREADED_FLAG} (children of a multi-threaded V8 deadlock): run \`node ${SINGLE_THREADED_FLAG} ${process.argv[1] ?? 'dist/src/cli/main.js'} serve ...\``,
    );
  }
  process.env[REEXEC_ENV] = '1';
  const speed = speedFlags(process.execArgv);
  addon.execSelf(process.execPath, [process.execPath, SINGLE_THREADED_FLAG, ...speed, ...process.execArgv, ...process.argv.slice(1)]);
}

// Resources whose work runs on the libuv threadpool. A fork while one is in flight leaves the child with a
// request that never completes and, worse, possibly a lock held by a worker thread that does not exist there.
const THREADPOOL_RESOURCE = /^(FSReq|GetAddrInfoReqWrap|GetNameInfoReqWrap|Zlib)|Job$/;

/** Names of threadpool requests in flight right now (empty when a fork is safe). */
export function threadpoolRequestsInFlight(): string[] {
  return process.getActiveResourcesInfo().filter((name) => THREADPOOL_RESOURCE.test(name));
}
