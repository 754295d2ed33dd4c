// What the /proc sampler costs while it watches a tree of N processes: CPU time of this process
// (process.cpuUsage) as % of one core while sampling at 10 Hz, and the time of each sample.
// Target (issue 4): ≤ 2 % of one core at 10 Hz with 100 processes in the tree, ≤ 3 % with 1 000.
//
//   node dist/bench/sampler-cost.js [N ...] [--seconds 5] [--io] [--events on|off|ab|looks]
//        default N = 1 10 100; one JSON line per N; --io adds sync vs async /proc reads; --events: the sampler
//        driven by process events where permitted (on, the default), the plain /proc scan (off), or both on the
//        same tree, alternating scan/events/scan/events (ab: the machine is shared, compare within one run);
//        looks: the event sampler's two idle looks alternated, schedstat (the leader's) / runtime (the thread
//        group's CPU clock, the default)
//        --threads K: each child has K threads (a C sleeper built with cc; servers' workers are threaded, and
//        with the schedstat look an idle multi-threaded process is re-read more often: docs/sampler.md)
//   node dist/bench/sampler-cost.js --tree N [--threads K]    (internal: the parent of the watched tree)
//
// The tree: one Node parent with a loopback listener; N `sleep` children, each holding a TCP connection
// (as stdin) and a pipe (as stdout), so every child has sockets and pipes for the sampler to map.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listChildren, readFds, readProcFile, readStat } from '../src/harness/probes/proc-reader.js';
import { Sampler, type SamplerOptions } from '../src/harness/probes/sampler.js';
import type { Sample } from '../src/harness/probes/types.js';

/** The real sampler, timing each sample its own timer takes. */
class TimedSampler extends Sampler {
  readonly durations: number[] = [];
  constructor(opts: SamplerOptions) {
    super(opts);
  }
  override sample(depth: 'full' | 'adaptive'): Sample {
    const started = performance.now();
    try {
      return super.sample(depth);
    } finally {
      this.durations.push(performance.now() - started);
    }
  }
}

export interface SamplerCost {
  bench: 'sampler-cost';
  mode: SamplerMode;
  processes: number;
  seconds: number;
  intervalMs: number;
  samples: number;
  /** CPU of this whole process while sampling (after a 1 s warm-up), % of one core */
  cpuPctOfCore: number;
  /** the same, over the warm-up before it (first sight of every pid, JIT compilation, handles opened) */
  warmUpCpuPctOfCore: number;
  /** the same process with a bare 10 Hz timer and no sampler: the floor included in cpuPctOfCore */
  idleCpuPctOfCore: number;
  /** cpuPctOfCore minus the CPU of TCP table reads, whose cost depends on the whole namespace's table size */
  cpuPctWithoutTcpTables: number;
  /** rows in /proc/net/tcp at the end (all users of the network namespace) */
  tcpTableRows: number;
  /** time spent inside sampleNow only, % of wall time */
  samplingPctOfWall: number;
  perSampleMs: { mean: number; p50: number; p95: number; max: number };
  /** one full sample (every fd link + TCP tables): what sampleNow() costs */
  fullSampleMs: number;
  /** TCP table reads during the run and their mean cost */
  netReads: number;
  netReadMs: number;
  /** CPU of those reads (what the budget counts) */
  netReadCpuMs: number;
  fdListReads: number;
  /** threads: of the tree's children, counted from /proc/PID/status at the end (what --threads made) */
  seen: { children: number; fds: number; sockets: number; threads: number };
  /** threads of each child (1: plain sleep) */
  threadsPerChild: number;
  /** whether process events drove the samples (null), or why not */
  eventsUnavailable: string | null;
  /** samples driven by events, listings of /proc, stat reads during the measured window */
  table: { eventSamples: number; listings: number; statReads: number; events: number; lostEvents: number };
  /** 1-minute load average and cores when measured: the machine is shared, costs rise with its load */
  machine: { loadAvg1: number; cores: number };
}

const MARKER = 'HANDOFF_BENCH_RUN';

/** Starts the watched tree and resolves once all N children (of `threads` threads each) are running. */
async function startTree(n: number, marker: string, threads = 1): Promise<ChildProcess> {
  const parent = spawn(process.execPath, [fileURLToPath(import.meta.url), '--tree', String(n), '--threads', String(threads)], {
    detached: true, // own process group: killed as one at the end
    // stdin is a lifeline: when this process dies, the tree's parent sees EOF and kills its group
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, [MARKER]: marker },
  });
  let out = '';
  parent.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    parent.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) resolve();
    });
    parent.once('exit', (code) => reject(new Error(`tree parent exited early (code ${code})`)));
  });
  return parent;
}

function killTree(parent: ChildProcess): void {
  try {
    process.kill(-parent.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

function childThreads(parentPid: number): number {
  let threads = 0;
  for (const pid of listChildren(parentPid)) {
    const m = /^Threads:\s+(\d+)$/m.exec(readProcFile(`/proc/${pid}/status`) ?? '');
    threads += m ? Number(m[1]) : 0;
  }
  return threads;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// 10 Hz: 50 samples before measuring, enough for V8 to have optimised the sampler's hot loops (after a 1 s
// warm-up the following 5 s still included ≈ 0.6 % of a core of compilation); the warm-up's own cost is
// reported beside the steady state (warmUpCpuPctOfCore)
const WARM_UP_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function idleCpu(intervalMs: number, seconds: number): Promise<number> {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const timer = setInterval(() => {}, intervalMs);
  await sleep(seconds * 1000);
  clearInterval(timer);
  const cpu = process.cpuUsage(cpuBefore);
  return round(((cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore)) * 100, 2);
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** scan: the plain /proc scan; events: process events where permitted (the harness's default); events-schedstat: events with the leader's schedstat as the idle look */
export type SamplerMode = 'scan' | 'events' | 'events-schedstat';

/** The trees `npm run bench` measures and judges (bench/lib/targets.ts): [processes, threads each]. */
export const SAMPLER_TREES: readonly (readonly [number, number])[] = [
  [100, 1],
  [1000, 1],
  [1000, 8],
];

/** The sampler as the harness runs it (process events where permitted). */
export async function measureSamplerCost(processes: number, seconds = 5, intervalMs = 100, threads = 1): Promise<SamplerCost> {
  return (await measureSamplerCosts(processes, seconds, intervalMs, ['events'], threads))[0]!;
}

/** One tree, measured once per mode in order. */
export async function measureSamplerCosts(
  processes: number,
  seconds = 5,
  intervalMs = 100,
  modes: SamplerMode[] = ['events'],
  threads = 1,
): Promise<SamplerCost[]> {
  const marker = `bench-${process.pid}-${Date.now()}`;
  const parent = await startTree(processes, marker, threads);
  try {
    const results: SamplerCost[] = [];
    for (const mode of modes)
      results.push({ ...(await measureOn(parent, marker, processes, seconds, intervalMs, mode)), threadsPerChild: threads });
    return results;
  } finally {
    killTree(parent);
  }
}

async function measureOn(
  parent: ChildProcess,
  marker: string,
  processes: number,
  seconds: number,
  intervalMs: number,
  mode: SamplerMode,
): Promise<Omit<SamplerCost, 'threadsPerChild'>> {
  {
    const sampler = new TimedSampler({
      rootPid: parent.pid!,
      marker: { name: MARKER, value: marker },
      intervalMs,
      events: mode !== 'scan',
      idleLook: mode === 'events-schedstat' ? 'schedstat' : 'runtime',
    });
    // what this process burns anyway with a 10 Hz timer and nothing to do: the floor under the sampler
    const idleCpuPctOfCore = await idleCpu(intervalMs, Math.min(2, seconds));
    // warm-up (not measured): first sight of every pid, JIT compilation of the sampler, kept handles opened
    const warmCpuBefore = process.cpuUsage();
    const warmWallBefore = performance.now();
    sampler.sampleNow();
    sampler.start(); // exactly what the harness runs: adaptive samples every intervalMs
    await sleep(WARM_UP_MS);
    const warmCpu = process.cpuUsage(warmCpuBefore);
    const warmUpCpuPctOfCore = round(((warmCpu.user + warmCpu.system) / 1000 / (performance.now() - warmWallBefore)) * 100, 2);
    sampler.durations.length = 0;
    const statsBefore = { ...sampler.stats };
    const tableBefore = { ...sampler.tableCounters };
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(seconds * 1000);
    const eventsUnavailable = sampler.eventsUnavailable;
    sampler.stop();
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const tableAfter = sampler.tableCounters;
    const table = {
      eventSamples: tableAfter.eventSamples - tableBefore.eventSamples,
      listings: tableAfter.listings - tableBefore.listings,
      statReads: tableAfter.statReads - tableBefore.statReads,
      events: tableAfter.events - tableBefore.events,
      lostEvents: tableAfter.lostEvents - tableBefore.lostEvents,
    };
    const latest = sampler.latest();
    const durations = [...sampler.durations]; // before the full sample below adds its own
    const netReads = sampler.stats.netReads - statsBefore.netReads;
    const netMs = sampler.stats.netMs - statsBefore.netMs;
    const netCpuMs = sampler.stats.netCpuMs - statsBefore.netCpuMs;
    const fdListReads = sampler.stats.fdListReads - statsBefore.fdListReads;
    const fullStart = performance.now();
    sampler.sampleNow();
    const fullSampleMs = performance.now() - fullStart;
    const sorted = [...durations].sort((a, b) => a - b);
    const sum = durations.reduce((a, b) => a + b, 0);
    return {
      bench: 'sampler-cost',
      mode,
      processes,
      seconds,
      intervalMs,
      samples: durations.length,
      cpuPctOfCore: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 2),
      warmUpCpuPctOfCore,
      idleCpuPctOfCore,
      cpuPctWithoutTcpTables: round((((cpu.user + cpu.system) / 1000 - netCpuMs) / wallMs) * 100, 2),
      samplingPctOfWall: round((sum / wallMs) * 100, 2),
      perSampleMs: {
        mean: round(sum / Math.max(1, durations.length)),
        p50: round(percentile(sorted, 50)),
        p95: round(percentile(sorted, 95)),
        max: round(sorted.at(-1) ?? 0),
      },
      fullSampleMs: round(fullSampleMs),
      netReads,
      netReadMs: round(netMs / Math.max(1, netReads)),
      netReadCpuMs: round(netCpuMs / Math.max(1, netReads)),
      fdListReads,
      eventsUnavailable,
      table,
      tcpTableRows: (readProcFile('/proc/self/net/tcp', 'seq') ?? '\n').split('\n').length - 2,
      machine: { loadAvg1: round(loadavg()[0]!, 2), cores: availableParallelism() },
      seen: {
        children: sampler.timeline.at(-1)?.children ?? 0,
        fds: sampler.timeline.at(-1)?.fds ?? 0,
        sockets: latest?.sockets.length ?? 0,
        threads: childThreads(parent.pid!),
      },
    };
  }
}

export interface SyncVsAsync {
  bench: 'proc-io-sync-vs-async';
  processes: number;
  rounds: number;
  /** per round: stat + every fd link of every process of the tree */
  sync: { cpuMs: number; wallMs: number };
  async: { cpuMs: number; wallMs: number };
}

/**
 * Is synchronous /proc I/O the right call? One round reads stat and all fd links of the tree, first with
 * the sync reader, then with fs/promises (each call a libuv threadpool job, all in flight together).
 */
export async function measureSyncVsAsync(processes: number, rounds = 30): Promise<SyncVsAsync> {
  const marker = `bench-io-${process.pid}-${Date.now()}`;
  const parent = await startTree(processes, marker);
  try {
    const pids = listChildren(parent.pid!).concat(parent.pid!);
    const syncRound = (): void => {
      for (const pid of pids) {
        readStat(pid);
        readFds(pid);
      }
    };
    const asyncRound = async (): Promise<void> => {
      await Promise.all(
        pids.map(async (pid) => {
          await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
          const names = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
          await Promise.all(names.map((name) => readlink(`/proc/${pid}/fd/${name}`).catch(() => null)));
        }),
      );
    };
    const measure = async (round: () => void | Promise<void>): Promise<{ cpuMs: number; wallMs: number }> => {
      await round();
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      for (let i = 0; i < rounds; i++) await round();
      const cpu = process.cpuUsage(cpu0);
      return { cpuMs: round3((cpu.user + cpu.system) / 1000 / rounds), wallMs: round3((performance.now() - wall0) / rounds) };
    };
    return { bench: 'proc-io-sync-vs-async', processes, rounds, sync: await measure(syncRound), async: await measure(asyncRound) };
  } finally {
    killTree(parent);
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

// a sleeper with K-1 extra threads, all parked: what an idle threaded worker looks like in /proc
const THREADED_SLEEPER_C = `#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
static void *park(void *arg) { (void)arg; for (;;) pause(); return 0; }
int main(int argc, char **argv) {
  int k = argc > 1 ? atoi(argv[1]) : 1;
  for (int i = 1; i < k; i++) { pthread_t t; pthread_create(&t, 0, park, 0); }
  sleep(600);
  return 0;
}
`;

/** argv of one child: plain `sleep`, or the C sleeper built once into a temp dir (removed by the caller). */
function sleeperArgv(threads: number): { argv: string[]; dir: string | null } {
  if (threads <= 1) return { argv: ['sleep', '600'], dir: null };
  const dir = mkdtempSync(join(tmpdir(), 'handoff-sleeper-'));
  writeFileSync(join(dir, 'sleeper.c'), THREADED_SLEEPER_C);
  execFileSync('cc', ['-O1', '-pthread', '-o', join(dir, 'sleeper'), join(dir, 'sleeper.c')]);
  return { argv: [join(dir, 'sleeper'), String(threads)], dir };
}

/** The watched tree's parent: N sleep children, each with a loopback TCP connection and a pipe. */
async function runTreeParent(n: number, threads: number): Promise<void> {
  const sleeper = sleeperArgv(threads);
  const server = createServer(() => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const socket: Socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const child = spawn(sleeper.argv[0]!, sleeper.argv.slice(1), { stdio: [socket, 'pipe', 'ignore'] });
    await once(child, 'spawn');
    children.push(child);
  }
  // the children run from the binary; its directory can go now, before anything can SIGKILL this process
  if (sleeper.dir) rmSync(sleeper.dir, { recursive: true, force: true });
  process.stdout.write('ready\n');
  // the bench kills the whole group; if the bench dies first, take the group down ourselves
  const killGroup = (): void => {
    process.kill(-process.pid, 'SIGKILL');
  };
  process.stdin.on('end', killGroup).on('close', killGroup).resume();
  setTimeout(killGroup, 600_000).unref();
}

async function main(argv: string[]): Promise<void> {
  const treeAt = argv.indexOf('--tree');
  const threadsAt = argv.indexOf('--threads');
  const threads = threadsAt === -1 ? 1 : Number(argv[threadsAt + 1]);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new Error('--threads: an integer from 1 to 64');
  if (treeAt !== -1) return runTreeParent(Number(argv[treeAt + 1]), threads);
  const secondsAt = argv.indexOf('--seconds');
  const seconds = secondsAt === -1 ? 5 : Number(argv[secondsAt + 1]);
  // a flag's value is not a count (an absent flag's index is -1: no value to skip)
  const values = new Set([secondsAt, threadsAt].filter((at) => at !== -1).map((at) => at + 1));
  const counts = argv.filter((arg, i) => /^\d+$/.test(arg) && !values.has(i)).map(Number);
  const eventsAt = argv.indexOf('--events');
  const eventsArg = eventsAt === -1 ? 'on' : argv[eventsAt + 1];
  const modes: SamplerMode[] =
    eventsArg === 'off'
      ? ['scan']
      : eventsArg === 'ab'
        ? ['scan', 'events', 'scan', 'events']
        : eventsArg === 'looks'
          ? ['events-schedstat', 'events', 'events-schedstat', 'events']
          : ['events'];
  for (const n of counts.length > 0 ? counts : [1, 10, 100]) {
    for (const result of await measureSamplerCosts(n, seconds, 100, modes, threads)) console.log(JSON.stringify(result));
  }
  if (argv.includes('--io')) console.log(JSON.stringify(await measureSyncVsAsync(100)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
