// How V8's tiering is steered in a fork zygote and its children. Children live for one connection, usually
// milliseconds: whatever the zygote optimised before forking, every child runs optimised for free; whatever it
// did not, every child runs at baseline tier, and an optimising compile inside a child (1.5–4 ms of TurboFan on
// the main thread under --single-threaded) never pays for itself.
//
// Run-time flag changes are honoured by Node 20's V8 (flags stay writable after start); if one were ignored the
// result would be slower children, never wrong ones.
import v8 from 'node:v8';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

/** V8's own budget (Node 20, V8 11.3: 66 KiB of executed bytecode before a function is considered for TurboFan). */
export const V8_DEFAULT_INTERRUPT_BUDGET = 66 * 1024;

/**
 * During the warm-up: tier up after 8 KiB instead, so that the rehearsals leave most of the request path
 * TurboFan-optimised rather than at baseline (child CPU about 15 % lower, ~50 fewer faults per child here). Safe
 * only because the rehearsal is varied enough: with one response shape, code optimised this early deoptimised in
 * every child that met another origin's headers; warm-up.ts answers with more than four header sets, so those
 * accesses are megamorphic (test/fork/child-warmth.test.ts keeps both honest).
 */
export const REHEARSAL_INTERRUPT_BUDGET = 8 * 1024;

export function tierUpEagerly(): void {
  v8.setFlagsFromString(`--opt --interrupt-budget=${REHEARSAL_INTERRUPT_BUDGET}`);
}

/** After the warm-up, in the zygote: nothing more is optimised, in it or in the children it forks. */
export function stopOptimising(): void {
  v8.setFlagsFromString('--no-opt');
}

/** In a child: optimisation comes back if it lives long (a tunnel, a keep-alive connection). */
export const OPTIMISE_AFTER_MS = 1_000;

export function optimiseIfLongLived(): void {
  setTimeout(() => v8.setFlagsFromString(`--opt --interrupt-budget=${V8_DEFAULT_INTERRUPT_BUDGET}`), OPTIMISE_AFTER_MS).unref();
}

/**
 * Call back after each full (mark-compact) GC of this process; returns the unsubscribe. A full GC drops optimised
 * code whose embedded objects died, and in a zygote those are the warm-up's: the callback rehearses again.
 */
export function onMajorGc(callback: () => void): () => void {
  // Node 20 types lack the gc entry's `detail`
  const isMajor = (entry: PerformanceEntry): boolean =>
    (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isMajor)) callback();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
