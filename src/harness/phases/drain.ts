// The drain phase: after the load, poll until the tree is quiet (what the drain-time checks would pass) or the
// deadline; past it, only while the tree still converges to rest or a young zombie may yet be reaped, up to the
// suite's extension (the rules: ../drain.ts).
import type { RunObservations } from '../checks/observations.js';
import { excessOf, hasYoungZombie, stillConverging, type ExcessPoint } from '../drain.js';
import type { Sample } from '../probes/types.js';
import { pollUntil } from '../../util/poll.js';
import { asDrained, isQuiet } from './quiet.js';
import type { RunScope } from './scope.js';

export interface Drained {
  sample: Sample;
  /** t of the quiet sample, or null when the drain ended without quiet */
  quietAt: number | null;
  /** still converging toward rest when it ended */
  converging: boolean;
}

export async function drainTarget(scope: RunScope, base: Omit<RunObservations, 'afterDrain'>, loadEnd: number): Promise<Drained> {
  const { sampler: smp, origin: org, clock, tolerances } = scope;
  org.closeIdle();
  const deadline = loadEnd + scope.drainMs;
  const hardDeadline = deadline + scope.suite.drainExtensionMs;
  const points: ExcessPoint[] = [];
  let s = smp.sampleNow();
  let first = true;
  let now = 0;
  const result = await pollUntil<Drained>(
    () => {
      if (!first) {
        // the origin may have accepted new keep-alive sockets from late requests
        org.closeIdle();
        s = smp.sampleNow();
      }
      first = false;
      const obs = asDrained(base, s);
      if (isQuiet(obs)) return { done: true, value: { sample: s, quietAt: s.t, converging: false } };
      points.push({ t: s.t, excess: excessOf(obs) });
      now = clock();
      if (now >= deadline) {
        const converging =
          stillConverging(points, s.t) || hasYoungZombie(s, (pid, st) => smp.zombieSince(pid, st), tolerances.zombieBoundMs);
        if (!converging || now >= hardDeadline) return { done: false, giveUp: true, value: { sample: s, quietAt: null, converging } };
      }
      return { done: false, value: { sample: s, quietAt: null, converging: false } };
    },
    // never past the deadline in force by more than the floor of 10 ms
    {
      initialMs: 50,
      maxMs: 500,
      wait: scope.wait,
      cap: (ms) => Math.min(ms, Math.max(10, (now < deadline ? deadline : hardDeadline) - now)),
    },
  );
  return result.value!;
}
