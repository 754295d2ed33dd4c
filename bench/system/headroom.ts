// Generator headroom: can our generators drive more than what they measure? The churn client (one request per
// connection) against `wrk -H 'Connection: close'`, the flood (autocannon, keep-alive) against plain `wrk`,
// both with one thread/loop and the same connection count, against the same trivial loopback server, in
// alternating order over the repeats (medians taken).
import { compiled } from '../../src/paths.js';
import type { BenchEnv } from '../lib/context.js';
import { bareChurn } from '../lib/bare-churn.js';
import { runCell } from '../lib/load.js';
import { startHelper, withRunning } from '../lib/processes.js';
import { median, round } from '../lib/stats.js';
import { runWrk, wrkUnavailable } from './wrk.js';

export interface HeadroomPair {
  mode: 'close' | 'keepalive';
  ours: string;
  connections: number;
  oursPerSec: number[];
  wrkPerSec: number[];
  oursMedian: number;
  wrkMedian: number;
  oursP50Ms: number;
  wrkP50Ms: number | null;
  /** CPU (user + system) of the generator's process per request or connection, median over rounds */
  oursCpuUs: number | null;
  /** close mode: the bare Node connect/write/read-to-EOF loop (bench/lib/bare-churn.ts), the floor of a Node client */
  bare?: { perSecMedian: number; cpuUsPerConn: number; perSec: number[] };
}

export interface HeadroomResult {
  bench: 'headroom';
  skipped: string | null;
  seconds: number;
  pairs: HeadroomPair[];
}

export async function benchHeadroom(env: BenchEnv): Promise<HeadroomResult> {
  const quick = env.settings.quick;
  const seconds = quick ? 1 : 2;
  const skipped = wrkUnavailable();
  if (skipped) {
    env.log(`headroom: skipped, ${skipped}`);
    return { bench: 'headroom', skipped, seconds, pairs: [] };
  }
  const connections = 8;
  const repeats = env.settings.repeats;
  const server = startHelper(
    { label: 'trivial-server', argv: [process.execPath, compiled('bench/reference/trivial-server.js')], ready: { kind: 'listening-line' } },
    env.runId,
  );
  return withRunning(server, async (srv) => {
    const url = `http://${srv.host}:${srv.port}/`;
    const pairs: HeadroomPair[] = [];
    for (const mode of ['close', 'keepalive'] as const) {
      const ours: { perSecond: number; p50: number; cpuUs: number }[] = [];
      const wrk: { perSecond: number; p50: number | null }[] = [];
      const bare: { perSecond: number; cpuUs: number }[] = [];
      for (let r = 0; r < repeats; r++) {
        // alternate who goes first, so a drift of the shared machine does not favour one side
        const order = r % 2 === 0 ? ['ours', 'wrk', 'bare'] : ['bare', 'wrk', 'ours'];
        for (const who of order) {
          if (who === 'bare' && mode !== 'close') continue;
          env.log(`headroom: ${mode} ${who} (round ${r + 1}/${repeats})`);
          if (who === 'wrk') {
            const w = await runWrk(url, { connections, seconds, close: mode === 'close' });
            wrk.push({ perSecond: w.perSecond, p50: w.p50Ms });
          } else if (who === 'bare') {
            const b = await bareChurn(srv, connections, seconds * 1000);
            bare.push({ perSecond: b.perSecond, cpuUs: b.cpuUsPerConn });
          } else {
            const abort = new AbortController();
            const guard = setTimeout(() => abort.abort(), (seconds + 15) * 1000);
            try {
              // the generators run in this process: its CPU over the cell is theirs
              const cpu0 = process.cpuUsage();
              const cell = await runCell(
                { kind: mode === 'close' ? 'churn' : 'keepalive', connections, durationMs: seconds * 1000 },
                srv,
                null,
                abort.signal,
              );
              const cpu = process.cpuUsage(cpu0);
              ours.push({
                perSecond: cell.perSecond,
                p50: cell.p50Ms,
                cpuUs: cell.requests > 0 ? (cpu.user + cpu.system) / cell.requests : Number.NaN,
              });
            } finally {
              clearTimeout(guard);
            }
          }
        }
      }
      pairs.push({
        mode,
        ours: mode === 'close' ? 'churn generator (src/harness/load/churn.ts)' : 'flood generator (autocannon)',
        connections,
        oursPerSec: ours.map((o) => o.perSecond),
        wrkPerSec: wrk.map((w) => w.perSecond),
        oursMedian: round(median(ours.map((o) => o.perSecond)), 1),
        wrkMedian: round(median(wrk.map((w) => w.perSecond)), 1),
        oursP50Ms: round(median(ours.map((o) => o.p50)), 3),
        wrkP50Ms: wrk.every((w) => w.p50 !== null) ? round(median(wrk.map((w) => w.p50 as number)), 3) : null,
        oursCpuUs: ours.every((o) => Number.isFinite(o.cpuUs)) ? round(median(ours.map((o) => o.cpuUs)), 1) : null,
        ...(bare.length > 0
          ? {
              bare: {
                perSecMedian: round(median(bare.map((b) => b.perSecond)), 1),
                cpuUsPerConn: round(median(bare.map((b) => b.cpuUs)), 1),
                perSec: bare.map((b) => b.perSecond),
              },
            }
          : {}),
      });
    }
    return { bench: 'headroom', skipped: null, seconds, pairs };
  });
}
