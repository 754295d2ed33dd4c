// Handoff latency per strategy: a fresh connection with one minimal request (origin form, which the proxy
// answers itself with a 400, no upstream involved), timed from connect() to the first response byte.
// Inline answers from the process that accepted; every other strategy adds its handoff path — a spare or a
// worker receiving the handle over IPC, or a new child started for the connection — so the difference to
// inline in the same run is the handoff's price. Iterations are paced (an untimed pause before each) so warm
// spares are back before the next arrival, as they are below the spawn ceiling; at higher arrival rates a
// spare pool drains and latency becomes a process start (the churn matrix shows that).
import { Bench } from 'tinybench';
import type { BenchEnv, LatencyStats } from '../lib/context.js';
import { sleep } from '../lib/context.js';
import { firstByteMs } from '../lib/load.js';
import { withRunning } from '../lib/processes.js';
import { round } from '../lib/stats.js';
import { selectSubjects, STRATEGY_SUBJECTS } from '../lib/subjects.js';
import { taskLatency } from '../lib/tinybench-stats.js';

export interface HandoffLatencyRow {
  subject: string;
  label: string;
  latency: LatencyStats;
  /** connections that failed (reset, timeout) and were retried */
  failedAttempts: number;
  /** p50 minus inline's p50 in the same run (ms) */
  overInlineP50Ms: number | null;
}

export interface HandoffLatencyResult {
  bench: 'handoff-latency';
  method: string;
  pauseMs: number;
  rows: HandoffLatencyRow[];
}

export const HANDOFF_METHOD =
  'fresh TCP connection + `GET / HTTP/1.1` (origin form: the proxy answers 400 itself), connect() → first response byte; untimed pause before each iteration so spares refill';

export async function benchHandoffLatency(env: BenchEnv): Promise<HandoffLatencyResult> {
  const quick = env.settings.quick;
  const pauseMs = quick ? 50 : 150;
  const rows: HandoffLatencyRow[] = [];
  for (const subject of selectSubjects(STRATEGY_SUBJECTS, env.settings.subjects)) {
    env.log(`handoff-latency: ${subject.label}`);
    let resets = 0;
    const latency = await withRunning(subject.start(env), async (running) => {
      // tinybench runs until BOTH minima are reached, and `time` sums task time only (not the untimed pause):
      // with a time minimum a fast subject (inline ≈ 0.5 ms) ran thousands of paced iterations (≈ 190 s).
      // A fixed count of iterations bounds the wall time at iterations × (pause + latency).
      const bench = new Bench({ time: 1, iterations: quick ? 3 : 30, warmupIterations: quick ? 1 : 3, warmupTime: 0 });
      // a reset under a loaded machine must not void the whole task: retry (counted), the sample includes it
      bench.add(
        subject.id,
        async () => {
          for (let attempt = 1; ; attempt++) {
            try {
              await firstByteMs(running);
              return;
            } catch (err) {
              resets++;
              if (attempt >= 3) throw err;
            }
          }
        },
        { beforeEach: () => sleep(pauseMs) },
      );
      await bench.run();
      return taskLatency(bench.getTask(subject.id)!);
    });
    rows.push({ subject: subject.id, label: subject.label, latency, overInlineP50Ms: null, failedAttempts: resets });
  }
  const inline = rows.find((r) => r.subject === 'inline');
  if (inline) for (const r of rows) r.overInlineP50Ms = round(r.latency.p50Ms - inline.latency.p50Ms, 3);
  return { bench: 'handoff-latency', method: HANDOFF_METHOD, pauseMs, rows };
}
