// `npm run bench` = node dist/bench/run.js: every benchmark, results in reports/bench-<id>/bench.{json,md}.
//
//   node dist/bench/run.js [--only name,name] [--quick] [--out DIR] [--repeats N] [--cell-ms N]
//                          [--concurrency 1,8,64] [--subjects inline,prefork,...]
//
// Benchmarks (each also runs alone with --only): process-start, handoff-latency, probe-cost, sampler-cost,
// headroom, churn-threads, keepalive, churn, fork-churn (when bench/fork-churn.ts exists), soak; groups: micro, matrix,
// system.
// Exit: 0 all benchmarks ran (targets missed or not), 1 a benchmark failed, 2 usage error.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { measureSamplerCost, SAMPLER_TREES } from './sampler-cost.js';
import type { BenchEnv, BenchSettings } from './lib/context.js';
import { machineInfo } from './lib/machine.js';
import { runIfMain } from './lib/bench-main.js';
import { renderMarkdown, type BenchReport } from './lib/report.js';
import { evaluateTargets, type TargetResult } from './lib/targets.js';
import { benchForkChurn, type ForkChurnResult } from './fork-churn.js';
import { benchHandoffLatency } from './micro/handoff-latency.js';
import { benchProbeCost } from './micro/probe-cost.js';
import { benchProcessStart } from './micro/process-start.js';
import { benchHeadroom } from './system/headroom.js';
import { benchChurnThreads } from './system/churn-threads.js';
import { benchMatrix } from './system/matrix.js';
import { benchSoak } from './system/soak.js';
import type { LoadKind } from './lib/subjects.js';
import { REFERENCE_SUBJECTS, STRATEGY_SUBJECTS } from './lib/subjects.js';

export const BENCHES = [
  'process-start',
  'probe-cost',
  'sampler-cost',
  'handoff-latency',
  'headroom',
  'churn-threads',
  'keepalive',
  'churn',
  'fork-churn',
  'soak',
] as const;
export type BenchName = (typeof BENCHES)[number];
const GROUPS: Record<string, BenchName[]> = {
  micro: ['process-start', 'probe-cost', 'handoff-latency'],
  matrix: ['keepalive', 'churn'],
  system: ['sampler-cost', 'headroom', 'churn-threads', 'keepalive', 'churn', 'soak'],
};

export interface RunArgs {
  only: BenchName[];
  out: string | null;
  settings: BenchSettings;
}

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

function positiveInt(flag: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min)
    throw new BenchUsageError(`${flag} needs an integer ≥ ${min} (got ${value ?? 'nothing'})`);
  return n;
}

export function parseRunArgs(argv: string[]): RunArgs {
  let only: BenchName[] = [...BENCHES];
  let out: string | null = null;
  let quick = false;
  let repeats: number | null = null;
  let cellMs: number | null = null;
  let concurrency: number[] | null = null;
  let subjects: string[] | null = null;
  const known = [...STRATEGY_SUBJECTS, ...REFERENCE_SUBJECTS].map((s) => s.id);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new BenchUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--only': {
        const names = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        only = [];
        for (const n of names) {
          if (GROUPS[n]) only.push(...GROUPS[n]!);
          else if ((BENCHES as readonly string[]).includes(n)) only.push(n as BenchName);
          else throw new BenchUsageError(`unknown benchmark "${n}" (expected ${[...BENCHES, ...Object.keys(GROUPS)].join(', ')})`);
        }
        break;
      }
      case '--quick':
        quick = true;
        break;
      case '--out':
        out = value();
        break;
      case '--repeats':
        repeats = positiveInt(flag, value());
        break;
      case '--cell-ms':
        cellMs = positiveInt(flag, value(), 100);
        break;
      case '--concurrency':
        concurrency = value()
          .split(',')
          .map((c) => positiveInt(flag, c.trim()));
        if (concurrency.some((c) => c > 256)) throw new BenchUsageError('--concurrency: at most 256');
        break;
      case '--subjects':
        subjects = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const s of subjects)
          if (!known.includes(s)) throw new BenchUsageError(`unknown subject "${s}" (expected ${known.join(', ')})`);
        break;
      case '-h':
      case '--help':
        throw new BenchUsageError('help');
      default:
        throw new BenchUsageError(`unknown argument "${arg}"`);
    }
  }
  const settings: BenchSettings = {
    quick,
    cellMs: cellMs ?? (quick ? 300 : 1_000),
    repeats: repeats ?? (quick ? 1 : 3),
    concurrency: concurrency ?? (quick ? [1, 8] : [1, 8, 64]),
    subjects,
  };
  return { only: BENCHES.filter((b) => only.includes(b)), out, settings };
}

function runId(): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${process.pid}`;
}

async function runForkChurn(env: BenchEnv): Promise<ForkChurnResult> {
  env.log('fork-churn: fork vs per-connection, a Python forking proxy, the Node fork floor, inline');
  return benchForkChurn({ quick: env.settings.quick, seconds: env.settings.quick ? 1 : 3, log: env.log });
}

/** fork-churn's targets in the report's own shape, beside the others. */
function forkTargets(r: ForkChurnResult | undefined): TargetResult[] {
  return (r?.targets ?? []).map((t) => ({
    id: t.id,
    target: t.name,
    measured: t.measured,
    ratio: t.value,
    comparison: t.comparison,
    threshold: t.threshold,
    met: t.met,
  }));
}

export async function runBenchmarks(
  args: RunArgs,
  log: (m: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<{ report: BenchReport; dir: string }> {
  const id = runId();
  const dir = args.out ?? join(packageRoot, 'reports', `bench-${id}`);
  const logsDir = join(dir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const started = Date.now();
  const env: BenchEnv = {
    runId: `bench-${id}`,
    dir,
    logsDir,
    settings: args.settings,
    log: (m) => log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${m}`),
  };
  const report: BenchReport = {
    schema: 1,
    id,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationSec: 0,
    machine: machineInfo(),
    settings: args.settings,
    ran: [],
    results: {},
    errors: [],
    targets: [],
  };
  const r = report.results;
  const step = async (name: BenchName, fn: () => Promise<void>): Promise<void> => {
    if (!args.only.includes(name)) return;
    try {
      await fn();
      report.ran.push(name);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      env.log(`${name} failed: ${message}`);
      report.errors.push({ bench: name, message });
    }
  };
  // quiet first: process-start's CPU per start is the denominator of a target
  await step('process-start', async () => {
    r.processStart = await benchProcessStart(env);
  });
  await step('probe-cost', async () => {
    r.probeCost = await benchProbeCost(env);
  });
  await step('sampler-cost', async () => {
    // the issue's two sizes, and the larger one with threaded members (servers' workers are threaded)
    r.samplerCosts = [];
    for (const [processes, threads] of SAMPLER_TREES) {
      env.log(`sampler-cost: ${processes} processes of ${threads} thread${threads > 1 ? 's' : ''} at 10 Hz`);
      r.samplerCosts.push(await measureSamplerCost(processes, args.settings.quick ? 1 : 5, 100, threads));
    }
  });
  await step('handoff-latency', async () => {
    r.handoffLatency = await benchHandoffLatency(env);
  });
  await step('headroom', async () => {
    r.headroom = await benchHeadroom(env);
  });
  await step('churn-threads', async () => {
    r.churnThreads = await benchChurnThreads(env);
  });
  const loads = (['keepalive', 'churn'] as LoadKind[]).filter((l) => args.only.includes(l));
  if (loads.length > 0) {
    // both load kinds in one interleaved matrix; spares are paced at a third of the spawn ceiling (≤ 10/s)
    const ceiling = r.processStart?.spawnCeilingPerSec;
    const pacedRate = Math.max(2, Math.min(10, Math.floor((ceiling ?? 30) / 3)));
    try {
      r.matrix = await benchMatrix(env, { loads, pacedRate });
      report.ran.push(...loads);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      env.log(`matrix failed: ${message}`);
      report.errors.push({ bench: loads.join('+'), message });
    }
  }
  await step('fork-churn', async () => {
    r.forkChurn = await runForkChurn(env);
  });
  // last: the longest, and its figures are the harness's own (nothing else running beside it)
  await step('soak', async () => {
    const seconds = args.settings.quick ? 20 : 180;
    env.log(`soak: ${seconds} s of paced churn on inline, the harness's RSS and report size`);
    r.soak = await benchSoak(env, { seconds, rate: 300 });
  });
  report.targets = [
    ...evaluateTargets({
      processStart: r.processStart,
      matrix: r.matrix,
      headroom: r.headroom,
      samplerCosts: r.samplerCosts,
      churnThreads: r.churnThreads,
      soak: r.soak,
    }),
    ...forkTargets(r.forkChurn),
  ];
  report.finishedAt = new Date().toISOString();
  report.durationSec = Math.round((Date.now() - started) / 100) / 10;
  writeFileSync(join(dir, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'bench.md'), renderMarkdown(report));
  return { report, dir };
}

const USAGE = `usage: node dist/bench/run.js [--only ${[...BENCHES, 'micro', 'matrix', 'system'].join('|')}[,…]] [--quick] [--out DIR]
                           [--repeats N] [--cell-ms N] [--concurrency 1,8,64] [--subjects id,…]`;

runIfMain(import.meta.url, {
  tool: 'bench',
  usage: USAGE,
  parse: parseRunArgs,
  isUsageError: (err): err is Error => err instanceof BenchUsageError,
  run: runBenchmarks,
  report({ report, dir }) {
    for (const t of report.targets) {
      const state = t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED';
      process.stdout.write(`${state.padEnd(12)} ${t.target}: ${t.ratio ?? '–'} (${t.measured})\n`);
    }
    process.stdout.write(`bench report: ${join(dir, 'bench.md')}\n`);
    return report.errors.length > 0 ? 1 : 0;
  },
});
