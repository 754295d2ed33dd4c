// The shutdown phase: SIGTERM to the root only — stopping the children is the target's job, and signalling the
// whole group would hide a master that forgets them. Then wait for the root, and for its tree to follow it (a
// child's parent going away is its cue), up to the deadline; what is left then is the shutdown's leftovers.
import type { ShutdownObservation } from '../checks/observations.js';
import type { Sampler } from '../probes/sampler.js';
import type { ProcessSnapshot } from '../probes/types.js';
import type { Target } from '../target.js';
import { pollUntil } from '../../util/poll.js';

export async function shutdownTarget(
  target: Target,
  sampler: Sampler,
  deadlineMs: number,
  clock: () => number,
): Promise<ShutdownObservation> {
  const before = target.exit();
  if (before) {
    const leftovers = await waitForLeftovers(sampler, clock() + 1_000);
    return { signalAtMs: null, deadlineMs, exit: { ...before, afterMs: 0 }, diedEarly: true, leftovers, escalated: false };
  }
  const signalAt = clock();
  const exit = await target.terminate(deadlineMs);
  const exitObs = exit ? { code: exit.code, signal: exit.signal, afterMs: Math.round(clock() - signalAt) } : null;
  let escalated = false;
  if (!exit) {
    // it ignored SIGTERM: what is left is judged now, then the group is killed
    const s = sampler.sampleNow();
    const leftovers = [...s.tree, ...s.orphans];
    escalated = true;
    return { signalAtMs: Math.round(signalAt), deadlineMs, exit: null, diedEarly: false, leftovers, escalated };
  }
  // children get a moment to notice their parent is gone (2 s, within the deadline; at least 1 s)
  const leftovers = await waitForLeftovers(sampler, Math.max(Math.min(signalAt + deadlineMs, clock() + 2_000), clock() + 1_000));
  return { signalAtMs: Math.round(signalAt), deadlineMs, exit: exitObs, diedEarly: false, leftovers, escalated };
}

/** Polls until neither the tree nor any marked process is alive (two empty samples in a row) or the deadline. */
export async function waitForLeftovers(sampler: Sampler, deadline: number): Promise<ProcessSnapshot[]> {
  let emptyStreak = 0;
  const result = await pollUntil(
    () => {
      const s = sampler.sampleNow();
      // the root itself may linger a moment as our own unreaped child
      const last = [...s.tree.filter((p) => p.state !== 'Z'), ...s.orphans.filter((p) => p.state !== 'Z')];
      emptyStreak = last.length === 0 ? emptyStreak + 1 : 0;
      // the deadline is the sample's own time (the sampler's clock is the run's)
      return { done: emptyStreak >= 2, giveUp: s.t >= deadline, value: last };
    },
    { initialMs: 25, maxMs: 200 },
  );
  return result.held ? [] : result.value!;
}
