// Probe cost: one full sample (Sampler.sampleNow: tree walk, every fd link, TCP tables) of a tree of 1, 10 and
// 100 processes, and the pure parsers' throughput on the fixture text captured from this kind of machine
// (test/fixtures/proc/). The watched tree is bench/sampler-cost.ts's own (`--tree N`), not a copy of it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { parseCmdline } from '../../src/harness/probes/parse-cmdline.js';
import { parseEnviron } from '../../src/harness/probes/parse-environ.js';
import { parseFdTarget } from '../../src/harness/probes/parse-fd-target.js';
import { parseNetTcp } from '../../src/harness/probes/parse-net-tcp.js';
import { parseStat } from '../../src/harness/probes/parse-stat.js';
import { parseStatus } from '../../src/harness/probes/parse-status.js';
import { Sampler } from '../../src/harness/probes/sampler.js';
import { compiled, packageRoot } from '../../src/paths.js';
import { registerCleanup, signalGroup } from '../../src/harness/cleanup.js';
import type { BenchEnv, LatencyStats } from '../lib/context.js';
import { round } from '../lib/stats.js';
import { taskLatency } from '../lib/tinybench-stats.js';

export interface SampleCostRow {
  processes: number;
  /** processes the sample saw in the tree (root included) */
  seen: number;
  fullSample: LatencyStats;
}

export interface ParserRow {
  parser: string;
  fixture: string;
  bytes: number;
  opsPerSec: number;
  mbPerSec: number;
}

export interface ProbeCostResult {
  bench: 'probe-cost';
  samples: SampleCostRow[];
  parsers: ParserRow[];
}

const TREE_MARKER = 'HANDOFF_BENCH_RUN'; // the name bench/sampler-cost.ts gives its tree's marker

/** bench/sampler-cost.js --tree N: a Node parent with N `sleep` children, each holding a socket and a pipe. */
async function startTree(n: number, marker: string): Promise<{ proc: ChildProcess; stop: () => void }> {
  const proc = spawn(process.execPath, [compiled('bench/sampler-cost.js'), '--tree', String(n)], {
    detached: true,
    stdio: ['pipe', 'pipe', 'inherit'], // stdin is its lifeline: EOF makes it kill its own group
    env: { ...process.env, [TREE_MARKER]: marker },
  });
  const release = registerCleanup((sig) => void signalGroup(proc.pid!, sig));
  const stop = (): void => {
    signalGroup(proc.pid!, 'SIGKILL');
    proc.stdin?.destroy();
    proc.stdout?.destroy();
    release();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('ready\n')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`tree of ${n} exited early (${code})`)));
      setTimeout(() => reject(new Error(`tree of ${n} not ready within 30 s`)), 30_000).unref();
    });
  } catch (err) {
    stop();
    throw err;
  }
  return { proc, stop };
}

function fixture(name: string): string {
  return readFileSync(join(packageRoot, 'test/fixtures/proc', name), 'utf8');
}

async function parserThroughput(quick: boolean): Promise<ParserRow[]> {
  const netTcp = fixture('net-tcp.txt');
  // a busier table: the fixture's rows repeated to ~1000 sockets, as on a loaded host
  const [header, ...rows] = netTcp.trimEnd().split('\n');
  const bigNetTcp = `${[header, ...Array.from({ length: Math.ceil(1000 / rows.length) }, () => rows).flat()].join('\n')}\n`;
  const fdLines = fixture('node-fd-links.txt')
    .trim()
    .split('\n')
    .map((l) => {
      const at = l.indexOf(' ');
      return [Number(l.slice(0, at)), l.slice(at + 1)] as const;
    });
  const text = (name: string): string => fixture(name);
  const stat = text('node-stat.txt');
  const status = text('node-status.txt');
  const cmdline = text('node-cmdline.txt');
  const environ = text('node-environ.txt');
  const cases: { parser: string; fixture: string; text: string; run: () => unknown }[] = [
    { parser: 'parseStat', fixture: 'node-stat.txt', text: stat, run: () => parseStat(stat) },
    { parser: 'parseStatus', fixture: 'node-status.txt', text: status, run: () => parseStatus(status) },
    { parser: 'parseCmdline', fixture: 'node-cmdline.txt', text: cmdline, run: () => parseCmdline(cmdline) },
    { parser: 'parseEnviron', fixture: 'node-environ.txt', text: environ, run: () => parseEnviron(environ) },
    {
      parser: 'parseFdTarget ×all',
      fixture: 'node-fd-links.txt',
      text: text('node-fd-links.txt'),
      run: () => fdLines.map(([fd, t]) => parseFdTarget(fd, t)),
    },
    { parser: 'parseNetTcp', fixture: 'net-tcp.txt', text: netTcp, run: () => parseNetTcp(netTcp) },
    {
      parser: 'parseNetTcp',
      fixture: `net-tcp.txt ×${Math.ceil(1000 / rows.length)} rows`,
      text: bigNetTcp,
      run: () => parseNetTcp(bigNetTcp),
    },
  ];
  const bench = new Bench({ time: quick ? 20 : 300, iterations: 10, warmupTime: quick ? 5 : 50 });
  for (const [i, c] of cases.entries()) bench.add(`${i}`, c.run);
  await bench.run();
  return cases.map((c, i) => {
    const r = bench.getTask(`${i}`)!.result;
    if (r.state !== 'completed') throw new Error(`parser bench ${c.parser} ended ${r.state}`);
    const opsPerSec = 1000 / r.latency.mean;
    const bytes = Buffer.byteLength(c.text);
    return { parser: c.parser, fixture: c.fixture, bytes, opsPerSec: round(opsPerSec, 0), mbPerSec: round((opsPerSec * bytes) / 1e6, 1) };
  });
}

export async function benchProbeCost(env: BenchEnv): Promise<ProbeCostResult> {
  const quick = env.settings.quick;
  const samples: SampleCostRow[] = [];
  for (const n of quick ? [1, 10] : [1, 10, 100]) {
    env.log(`probe-cost: one full sample of a tree of ${n}`);
    const marker = `${env.runId}-tree-${n}`;
    const tree = await startTree(n, marker);
    try {
      const sampler = new Sampler({ rootPid: tree.proc.pid!, marker: { name: TREE_MARKER, value: marker }, intervalMs: 100 });
      sampler.sampleNow(); // first sight of every pid reads its environ and cmdline: not what a sample costs
      sampler.sampleNow();
      const bench = new Bench({ time: quick ? 50 : 1_000, iterations: quick ? 3 : 20, warmupIterations: 2, warmupTime: 0 });
      bench.add(`tree-${n}`, () => void sampler.sampleNow());
      await bench.run();
      samples.push({ processes: n, seen: sampler.latest()?.tree.length ?? 0, fullSample: taskLatency(bench.getTask(`tree-${n}`)!) });
    } finally {
      tree.stop();
    }
  }
  env.log('probe-cost: parser throughput on fixtures');
  return { bench: 'probe-cost', samples, parsers: await parserThroughput(quick) };
}
