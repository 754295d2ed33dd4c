// Process start cost: a bare `node -e 0` versus the reference proxy's child entry up to its `ready` message
// (spawned exactly as per-connection spawns it: src/proxy/process/spawn-child.ts), then told to go (IPC
// disconnect = its death pipe). Wall time per start comes from tinybench; CPU per start from this process's
// cutime+cstime (/proc/self/stat fields 16–17: CPU of reaped children, all their threads included), read around
// the measured phase, so it is the children's own CPU, not wall time.
// Spawn ceiling of any spawn-per-connection design here = cores ÷ CPU-seconds per child start.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Bench, type FnHook } from 'tinybench';
import { clkTck } from '../../src/harness/probes/proc-reader.js';
import { DEFAULT_PROXY_OPTIONS } from '../../src/proxy/options.js';
import { spawnChild } from '../../src/proxy/process/spawn-child.js';
import type { BenchEnv, LatencyStats } from '../lib/context.js';
import { machineInfo } from '../lib/machine.js';
import { round } from '../lib/stats.js';
import { taskLatency } from '../lib/tinybench-stats.js';

export interface StartCost {
  name: string;
  wall: LatencyStats;
  /** CPU of the child (user+system, every thread) per start */
  cpuMsPerStart: number;
  starts: number;
}

export interface ProcessStartResult {
  bench: 'process-start';
  cores: number;
  bare: StartCost;
  childEntry: StartCost;
  /** new per-connection children per second this machine could start with every core busy doing only that */
  spawnCeilingPerSec: number;
}

/** CPU ms of this process's reaped children so far. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after the comm: field 3 (state) is index 0, so field 16 (cutime) is index 13, field 17 (cstime) index 14
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clkTck();
}

async function startBare(): Promise<void> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`node -e 0 exited ${code}`);
}

const childOptions = { ...DEFAULT_PROXY_OPTIONS, strategy: 'per-connection' as const };

async function startChildEntry(): Promise<void> {
  const { proc } = spawnChild('per-connection', childOptions);
  const exited = once(proc, 'exit');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('child entry did not say ready within 15 s')), 15_000);
      proc.on('message', (m: { t?: string }) => {
        if (m?.t === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`child entry exited (${code}) before ready`));
      });
    });
  } finally {
    if (proc.connected) proc.disconnect(); // its death pipe: it exits now
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function benchProcessStart(env: BenchEnv): Promise<ProcessStartResult> {
  const quick = env.settings.quick;
  const bench = new Bench({
    name: 'process start',
    time: quick ? 200 : 2_000,
    iterations: quick ? 3 : 12,
    warmupIterations: quick ? 1 : 2,
    warmupTime: 0,
  });
  const cpu = new Map<string, { before: number; ms: number; starts: number; measuring: boolean }>();
  const hooks = (name: string): { beforeAll: FnHook; afterAll: FnHook; afterEach: FnHook } => {
    const c = { before: 0, ms: 0, starts: 0, measuring: false };
    cpu.set(name, c);
    return {
      beforeAll: (mode) => {
        c.measuring = mode === 'run';
        c.before = childrenCpuMs();
      },
      afterEach: () => {
        if (c.measuring) c.starts++;
      },
      afterAll: (mode) => {
        if (mode === 'run') c.ms = childrenCpuMs() - c.before;
        c.measuring = false;
      },
    };
  };
  bench.add('node -e 0', startBare, hooks('node -e 0'));
  bench.add('child entry (to ready)', startChildEntry, hooks('child entry (to ready)'));
  env.log('process-start: node -e 0 vs the child entry');
  await bench.run();
  const cost = (name: string): StartCost => {
    const task = bench.getTask(name)!;
    const c = cpu.get(name)!;
    return { name, wall: taskLatency(task), cpuMsPerStart: round(c.ms / Math.max(1, c.starts), 1), starts: c.starts };
  };
  const bare = cost('node -e 0');
  const childEntry = cost('child entry (to ready)');
  const cores = machineInfo().cores;
  return { bench: 'process-start', cores, bare, childEntry, spawnCeilingPerSec: round(cores / (childEntry.cpuMsPerStart / 1000), 1) };
}
