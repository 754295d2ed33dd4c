// When the drain may stop: pure judgements over drain samples. A tree still converging toward rest at the
// deadline (a prefork server retiring one idle child a second) gets more time, bounded; a tree that stopped
// moving does not. A zombie younger than the zombie bound may still be reaped, so it is waited for too.
import type { RunObservations } from './checks/observations.js';
import type { Sample } from './probes/types.js';

/** How far a drain sample is from rest: a number that falls to 0 as the tree returns to its baseline. */
export function excessOf(obs: RunObservations): number {
  const live = (s: Sample): number => s.tree.filter((p) => p.depth >= 1 && p.state !== 'Z').length;
  const zombies = obs.afterDrain.tree.filter((p) => p.depth >= 1 && p.state === 'Z').length;
  const allowed = Math.max(obs.baselineChildren, obs.target.pool?.resident ?? 0);
  const fds = (s: Sample): number => s.tree.reduce((n, p) => n + (p.state === 'Z' ? 0 : p.fds.length), 0);
  const held = (s: Sample): number => s.sockets.filter((x) => x.state === 'CLOSE_WAIT' || x.state === 'ESTABLISHED').length;
  return (
    Math.max(0, live(obs.afterDrain) - allowed) +
    zombies +
    Math.max(0, fds(obs.afterDrain) - fds(obs.baseline)) +
    Math.max(0, held(obs.afterDrain) - held(obs.baseline))
  );
}

export interface ExcessPoint {
  t: number;
  excess: number;
}

/** Progress window: a tree that got closer to rest within this long is still converging. */
export const CONVERGING_WINDOW_MS = 1_500;

/** True when the excess reached a new low within the last window (or, in a drain shorter than it, fell at all). */
export function stillConverging(points: readonly ExcessPoint[], now: number, windowMs = CONVERGING_WINDOW_MS): boolean {
  const recent = points.filter((p) => p.t > now - windowMs);
  const before = points.filter((p) => p.t <= now - windowMs);
  if (recent.length === 0) return false;
  const low = Math.min(...recent.map((p) => p.excess));
  if (before.length === 0) return points.length > 1 && low < points[0].excess;
  return low < Math.min(...before.map((p) => p.excess));
}

/** A zombie in the sample that became one less than boundMs ago (its parent may still reap it in time). */
export function hasYoungZombie(sample: Sample, zombieSince: (pid: number, starttime: number) => number | null, boundMs: number): boolean {
  return sample.tree.some((p) => {
    if (p.depth < 1 || p.state !== 'Z') return false;
    const since = zombieSince(p.pid, p.starttime);
    return since === null || sample.t - since < boundMs;
  });
}
