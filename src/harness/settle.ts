// When a target is at rest: the baseline is taken only then, so a worker caught mid-boot (few fds yet) is never
// the reference its booted self is judged against. Pure: two samples in, a yes or no out.
import { processKey, type Sample } from './probes/types.js';

/** CPU a resting process may use between two samples (ticks of 10 ms): a timer or a GC, not a boot. */
const RESTING_TICKS = 3;

/**
 * Same processes with the same fd counts in both samples, and none of them busy in the later one: not running or
 * waiting for the CPU or the disk (state R or D: a boot starved on a loaded machine uses no CPU, but is runnable),
 * and not having used more than a resting process's CPU since the first.
 */
export function atRest(a: Sample, b: Sample): boolean {
  if (a.tree.length !== b.tree.length) return false;
  const before = new Map(a.tree.map((p) => [processKey(p), p]));
  return b.tree.every((p) => {
    const q = before.get(processKey(p));
    if (!q || q.fds.length !== p.fds.length) return false;
    if (p.state === 'Z') return true;
    return p.state !== 'R' && p.state !== 'D' && p.cpuTicks - q.cpuTicks < RESTING_TICKS;
  });
}
