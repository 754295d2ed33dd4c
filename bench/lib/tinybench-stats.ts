// Reads a finished tinybench task into LatencyStats (throws with the task's own error when it failed).
import type { Task } from 'tinybench';
import type { LatencyStats } from './context.js';
import { round } from './stats.js';

export function taskLatency(task: Task): LatencyStats {
  const r = task.result;
  if (r.state === 'errored') throw r.error;
  if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') throw new Error(`tinybench task "${task.name}" ended ${r.state}`);
  const l = r.latency;
  return {
    samples: l.samplesCount,
    meanMs: round(l.mean, 3),
    p50Ms: round(l.p50, 3),
    p99Ms: round(l.p99, 3),
    minMs: round(l.min, 3),
    maxMs: round(l.max, 3),
  };
}

export function taskOpsPerSecond(task: Task): number {
  const r = task.result;
  if (r.state === 'errored') throw r.error;
  if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') throw new Error(`tinybench task "${task.name}" ended ${r.state}`);
  return round(1000 / r.latency.mean, 1);
}
