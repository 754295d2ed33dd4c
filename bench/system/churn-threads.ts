// The churn generator on more than one core: connections per second at 1 and 2 load threads (suite "threads",
// --load-threads) against `wrk -H 'Connection: close'` with the same thread and connection count, on the same
// trivial loopback server, order alternated over the repeats (medians), after one unmeasured warm-up of the server
// and of the generator. Ratios in one run; wrk missing: skipped.
import { compiled } from '../../src/paths.js';
import { ChurnGenerator, type ChurnConfig } from '../../src/harness/load/churn.js';
import type { LoadContext, LoadOutcome } from '../../src/harness/load/generator.js';
import { threaded } from '../../src/harness/load/threads.js';
import type { BenchEnv } from '../lib/context.js';
import { startHelper, withRunning } from '../lib/processes.js';
import { median, round } from '../lib/stats.js';
import { runWrk, wrkUnavailable } from './wrk.js';

export interface ChurnThreadsRow {
  threads: number;
  connections: number;
  oursPerSec: number[];
  wrkPerSec: number[];
  oursMedian: number;
  wrkMedian: number;
  /** ours / wrk, medians */
  ratio: number | null;
  /** the generator's process CPU (every thread) per connection, µs, median */
  oursCpuUs: number | null;
  /** incidents of any kind over every round: a clean server gives none */
  incidents: number;
}

export interface ChurnThreadsResult {
  bench: 'churn-threads';
  skipped: string | null;
  seconds: number;
  rows: ChurnThreadsRow[];
}

export const CHURN_THREAD_COUNTS = [1, 2];
const CONNECTIONS = 8;

function context(target: { host: string; port: number }, signal: AbortSignal): LoadContext {
  let seq = 0;
  const t0 = performance.now();
  return {
    mode: 'server',
    target,
    origin: target,
    checkTokens: false,
    expectStatus: (s) => s === 200,
    clock: () => performance.now() - t0,
    signal,
    nextToken: (g) => `b-${g}-${++seq}`,
  };
}

export async function benchChurnThreads(env: BenchEnv): Promise<ChurnThreadsResult> {
  // 5 s windows: the suites churn for 8-10 s, so a load thread's start (a cold JIT) should weigh as little here
  const seconds = env.settings.quick ? 1 : 5;
  const skipped = wrkUnavailable();
  if (skipped) {
    env.log(`churn-threads: skipped, ${skipped}`);
    return { bench: 'churn-threads', skipped, seconds, rows: [] };
  }
  const server = startHelper(
    { label: 'trivial-server', argv: [process.execPath, compiled('bench/reference/trivial-server.js')], ready: { kind: 'listening-line' } },
    env.runId,
  );
  return withRunning(server, async (srv) => {
    const url = `http://${srv.host}:${srv.port}/`;
    const rows: ChurnThreadsRow[] = [];
    const churnOnce = async (threads: number, secs: number): Promise<LoadOutcome> => {
      const abort = new AbortController();
      const guard = setTimeout(() => abort.abort(), (secs + 30) * 1000);
      try {
        const config: ChurnConfig = { durationMs: secs * 1000, connections: CONNECTIONS, rate: 0, eofBoundMs: 1_000, timeoutMs: 5_000 };
        const g = threaded('churn', 'churn', config, threads, (c) => new ChurnGenerator('churn', c));
        return await g.run(context({ host: srv.host, port: srv.port }, abort.signal));
      } finally {
        clearTimeout(guard);
      }
    };
    // warm-up, not measured: the server's JIT (else the first of ours and wrk pays it) and our main thread's
    env.log('churn-threads: warm-up (server and generator, not measured)');
    await runWrk(url, { connections: CONNECTIONS, seconds: 1, close: true, threads: 1 });
    await churnOnce(1, 1);
    for (const threads of CHURN_THREAD_COUNTS) {
      const ours: { perSecond: number; cpuUs: number }[] = [];
      const wrk: number[] = [];
      let incidents = 0;
      for (let r = 0; r < env.settings.repeats; r++) {
        for (const who of r % 2 === 0 ? ['ours', 'wrk'] : ['wrk', 'ours']) {
          env.log(`churn-threads: ${threads} thread(s) ${who} (round ${r + 1}/${env.settings.repeats})`);
          if (who === 'wrk') {
            wrk.push((await runWrk(url, { connections: CONNECTIONS, seconds, close: true, threads })).perSecond);
            continue;
          }
          // process-wide: every load thread's CPU is in it (a thread's start-up too)
          const cpu0 = process.cpuUsage();
          const o = await churnOnce(threads, seconds);
          const cpu = process.cpuUsage(cpu0);
          incidents += Object.values(o.counts).reduce((a, b) => a + (b ?? 0), 0);
          ours.push({
            perSecond: (o.stats.requests / Math.max(1, o.stats.durationMs)) * 1000,
            cpuUs: o.stats.requests > 0 ? (cpu.user + cpu.system) / o.stats.requests : Number.NaN,
          });
        }
      }
      const oursMedian = round(median(ours.map((o) => o.perSecond)), 1);
      const wrkMedian = round(median(wrk), 1);
      rows.push({
        threads,
        connections: CONNECTIONS,
        oursPerSec: ours.map((o) => round(o.perSecond, 1)),
        wrkPerSec: wrk,
        oursMedian,
        wrkMedian,
        ratio: wrkMedian > 0 ? round(oursMedian / wrkMedian, 2) : null,
        oursCpuUs: ours.every((o) => Number.isFinite(o.cpuUs)) ? round(median(ours.map((o) => o.cpuUs)), 1) : null,
        incidents,
      });
    }
    return { bench: 'churn-threads', skipped: null, seconds, rows };
  });
}
