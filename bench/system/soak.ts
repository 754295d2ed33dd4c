// A soak: `handoff stress` with paced churn on the inline proxy for a long time, watching what the harness itself
// costs as the run goes on — its RSS (the stress process and its supervisor, read each second) and the size of
// the report.json it writes. Flat is the aim: RSS and report size after the first minutes should not grow with the
// run's length (bounded timeline, HDR latencies). A short run is extrapolated to an hour from its second half;
// `--seconds 3600` measures the real hour.
//
//   node dist/bench/system/soak.js [--seconds N] [--rate N] [--out DIR]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, packageRoot } from '../../src/paths.js';
import { registerCleanup, signalGroup } from '../../src/harness/cleanup.js';
import { readCmdline, readStatus, listChildren } from '../../src/harness/probes/proc-reader.js';
import type { Report } from '../../src/model/report.js';
import type { BenchEnv } from '../lib/context.js';
import { runIfMain } from '../lib/bench-main.js';
import { round } from '../lib/stats.js';

export interface SoakPoint {
  /** seconds since the stress command started */
  t: number;
  /** the harness's RSS, MiB (0 before it started) */
  harnessMiB: number;
  /** the RSS of the supervisor (the stress process started, which runs the harness as its child), MiB */
  supervisorMiB: number;
}

export interface SoakResult {
  bench: 'soak';
  seconds: number;
  ratePerSec: number;
  exitCode: number | null;
  points: SoakPoint[];
  /** peak RSS of harness + supervisor, MiB */
  peakMiB: number;
  /** RSS growth over the second half of the run, MiB per minute (harness + supervisor) */
  rssSlopeMiBPerMin: number;
  /** RSS at the end plus the second half's slope carried on to one hour, MiB */
  rssHourMiB: number;
  reportBytes: number | null;
  /** report.json bytes carried on to one hour at the run's own bytes per second (an upper bound: the timeline's
   * full-rate window is a fixed span, so a longer run's report grows slower than this) */
  reportHourBytes: number | null;
  connections: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number | undefined): number => (bytes ?? 0) / 1024 / 1024;

/** RSS of the stress process started (the supervisor) and of the harness it runs (its child running `stress`;
 * the target's `serve` is not the harness). */
function harnessRss(pid: number): { harnessMiB: number; supervisorMiB: number } {
  let harnessMiB = 0;
  for (const c of listChildren(pid)) if ((readCmdline(c) ?? []).includes('stress')) harnessMiB += mib(readStatus(c)?.vmRssBytes);
  return { harnessMiB, supervisorMiB: mib(readStatus(pid)?.vmRssBytes) };
}

function findReport(dir: string): string | null {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const r = findReport(p);
      if (r) return r;
    } else if (e.name === 'report.json') return p;
  }
  return null;
}

/** Least-squares slope of y over x (per unit of x); 0 with fewer than two points. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The fold of a soak's points into its figures: pure. */
export function foldSoak(points: SoakPoint[], seconds: number): Pick<SoakResult, 'peakMiB' | 'rssSlopeMiBPerMin' | 'rssHourMiB'> {
  const total = points.map((p) => p.harnessMiB + p.supervisorMiB);
  const late = points.filter((p) => p.t >= seconds / 2);
  const perSec = slope(
    late.map((p) => p.t),
    late.map((p) => p.harnessMiB + p.supervisorMiB),
  );
  const last = total.at(-1) ?? 0;
  const remaining = Math.max(0, 3600 - (points.at(-1)?.t ?? 0));
  return {
    peakMiB: round(Math.max(0, ...total), 1),
    rssSlopeMiBPerMin: round(perSec * 60, 2),
    rssHourMiB: round(last + Math.max(0, perSec) * remaining, 1),
  };
}

export async function benchSoak(env: Pick<BenchEnv, 'dir' | 'log'>, opts: { seconds: number; rate: number }): Promise<SoakResult> {
  const dir = join(env.dir, 'soak');
  mkdirSync(dir, { recursive: true });
  const suite = join(dir, 'soak-suite.json');
  const suiteBody = {
    description: 'soak: paced churn for as long as asked',
    duration: `${opts.seconds}s`,
    connections: 2,
    load: [{ generator: 'churn', rate: opts.rate, eofBound: '1s' }],
    budget: { maxErrorRate: 0.01, maxErrors: 20 },
  };
  writeFileSync(suite, `${JSON.stringify(suiteBody, null, 2)}\n`);
  const reportDir = join(dir, 'reports');
  const child = spawn(
    process.execPath,
    [cliPath(), 'stress', '--strategy', 'inline', '--suite', suite, '--report-dir', reportDir, '--load-threads', '1'],
    {
      cwd: packageRoot,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const pid = child.pid!;
  const unregister = registerCleanup(() => signalGroup(pid, 'SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 64_000) stderr += d.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let done = false;
  void exited.then(() => (done = true));
  const t0 = Date.now();
  const points: SoakPoint[] = [];
  // the run's own length plus its warm-up, drain, shutdown and report; past that it is stuck
  const deadline = t0 + (opts.seconds + 120) * 1_000;
  try {
    while (!done && Date.now() < deadline) {
      const rss = harnessRss(pid);
      if (rss.supervisorMiB > 0) points.push({ t: round((Date.now() - t0) / 1000, 1), ...rss });
      if (points.length % 60 === 0 && points.length > 0)
        env.log(`soak: ${points.at(-1)!.t} s, harness ${round(rss.harnessMiB, 1)} MiB, supervisor ${round(rss.supervisorMiB, 1)} MiB`);
      await Promise.race([sleep(1_000), exited]);
    }
    if (!done) throw new Error(`soak: stress did not end within ${opts.seconds + 120} s`);
  } finally {
    signalGroup(pid, 'SIGKILL');
    unregister();
  }
  const [code] = await exited;
  const reportPath = findReport(reportDir);
  const reportBytes = reportPath ? statSync(reportPath).size : null;
  let connections: number | null = null;
  if (reportPath) {
    const r = JSON.parse(readFileSync(reportPath, 'utf8')) as Pick<Report, 'load'>;
    connections = Object.values(r.load ?? {}).reduce((a, g) => a + g.requests, 0);
  }
  if (reportBytes === null) env.log(`soak: no report.json (exit ${code}); stderr: ${stderr.slice(-400)}`);
  return {
    bench: 'soak',
    seconds: opts.seconds,
    ratePerSec: opts.rate,
    exitCode: code,
    points,
    ...foldSoak(points, opts.seconds),
    reportBytes,
    reportHourBytes: reportBytes === null ? null : Math.round((reportBytes / opts.seconds) * Math.max(3600, opts.seconds)),
    connections,
  };
}

interface SoakArgs {
  seconds: number;
  rate: number;
  out: string | null;
}

class SoakUsageError extends Error {
  override name = 'SoakUsageError';
}

function parseSoakArgs(argv: string[]): SoakArgs {
  const a: SoakArgs = { seconds: 120, rate: 300, out: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[i + 1];
    const int = (min: number, max: number): number => {
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < min || n > max)
        throw new SoakUsageError(`${flag} needs an integer from ${min} to ${max} (got ${v ?? 'nothing'})`);
      i++;
      return n;
    };
    if (flag === '--seconds') a.seconds = int(10, 24 * 3600);
    else if (flag === '--rate') a.rate = int(1, 5_000);
    else if (flag === '--out') {
      if (v === undefined) throw new SoakUsageError('--out needs a value');
      a.out = v;
      i++;
    } else if (flag === '-h' || flag === '--help') throw new SoakUsageError('help');
    else throw new SoakUsageError(`unknown argument "${flag}"`);
  }
  return a;
}

runIfMain(import.meta.url, {
  tool: 'soak',
  usage: 'usage: node dist/bench/system/soak.js [--seconds N] [--rate N] [--out DIR]',
  parse: parseSoakArgs,
  isUsageError: (err): err is Error => err instanceof SoakUsageError,
  async run(args) {
    const dir = args.out ?? join(packageRoot, 'reports', `soak-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    const result = await benchSoak({ dir, log: (m) => process.stderr.write(`${m}\n`) }, args);
    writeFileSync(join(dir, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  },
  report(r) {
    const { points: _points, ...figures } = r;
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    return r.reportBytes === null ? 1 : 0;
  },
});
