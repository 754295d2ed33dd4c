// How V8's tiering is steered in a fork zygote and its children. Children live for one connection, usually
// milliseconds: whatever the zygote optimised before forking, every child runs optimised for free; whatever it
// did not, every child runs at baseline tier, and an optimising compile inside a child (1.5–4 ms of TurboFan on
// the main thread under --single-threaded) never pays for itself.
//
// Run-time flag changes are honoured by Node 20's V8 (flags stay writable after start); if one were ignored the
// result would be slower children, never wrong ones.
import v8 from 'node:v8';

// Not done: a lower --interrupt-budget during the warm-up (tier up after 8 KiB of bytecode instead of 66 KiB)
// left more of the path optimised and children 0.2 ms cheaper on the rehearsed exchanges, but code optimised on
// so little feedback deoptimised in every child that met an origin with other response headers (the headers
// object's shape differs): test/fork/child-warmth.test.ts caught it. Real origins vary; V8's default budget stays.

/** After the warm-up, in the zygote: nothing more is optimised, in it or in the children it forks. */
export function stopOptimising(): void {
  v8.setFlagsFromString('--no-opt');
}

/** In a child: optimisation comes back if it lives long (a tunnel, a keep-alive connection). */
export const OPTIMISE_AFTER_MS = 1_000;

export function optimiseIfLongLived(): void {
  setTimeout(() => v8.setFlagsFromString('--opt'), OPTIMISE_AFTER_MS).unref();
}
