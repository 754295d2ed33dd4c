// `npm run accuracy` = node dist/bench/accuracy.js: the power of the default suite as a number. Per leak class
// and per subject (each strategy of the reference proxy with its canary at --fault-rate, and the fixture
// servers with the same bugs at a rate), how often N repeated `handoff stress` runs catch it, on which check;
// per clean subject, how often N runs fail anyway. A busy loop spins beside every run (a shared machine).
// Results: reports/accuracy-<id>/accuracy.{json,md}, rewritten after every run (an interrupted bench keeps its
// figures), and each run's report.json under runs/.
//
//   node dist/bench/accuracy.js [--runs N] [--rates 0.01,0.05] [--subjects id,…] [--classes clean,kept-fd,…]
//                               [--quick] [--no-busy] [--out DIR] [--run-timeout 240s]
// Exit: 0 the matrix ran (targets met or not), 1 a run could not be made, 2 usage error.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, packageRoot } from '../src/paths.js';
import { registerCleanup, signalGroup } from '../src/harness/cleanup.js';
import { loadForkAddon } from '../src/native/addon.js';
import type { Report } from '../src/model/report.js';
import { FAULT_SEED_ENV } from '../src/proxy/faults.js';
import { parseDuration } from '../src/util/duration.js';
import {
  ACCURACY_SUBJECTS,
  CLASS_FAULT,
  LEAK_CLASSES,
  buildMatrix,
  cellKey,
  foldCell,
  type AccuracySubject,
  type Cell,
  type RunOutcome,
} from './lib/accuracy-matrix.js';
import { evaluateAccuracyTargets, renderAccuracyMarkdown, type AccuracyReport } from './lib/accuracy-report.js';
import { buildCFixture, fixtureCommand, pythonAvailable } from './lib/fixtures.js';
import { runIfMain } from './lib/bench-main.js';
import { machineInfo } from './lib/machine.js';

export interface AccuracyArgs {
  runs: number;
  rates: number[];
  subjects: string[] | null;
  classes: string[] | null;
  busy: boolean;
  out: string | null;
  runTimeoutMs: number;
}

export class AccuracyUsageError extends Error {
  override name = 'AccuracyUsageError';
}

const SUITE = 'ci';
/** environment marker of the busy loop (its value: the report directory), so a test can see it ended */
export const BUSY_MARKER = 'HANDOFF_ACCURACY_BUSY';
const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function parseAccuracyArgs(argv: string[]): AccuracyArgs {
  const a: AccuracyArgs = { runs: 20, rates: [0.01, 0.05], subjects: null, classes: null, busy: true, out: null, runTimeoutMs: 240_000 };
  let quick = false;
  let runsGiven = false;
  let ratesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new AccuracyUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--runs': {
        const v = value();
        a.runs = Number(v);
        if (!Number.isInteger(a.runs) || a.runs < 1 || a.runs > 1000)
          throw new AccuracyUsageError(`--runs needs an integer from 1 to 1000 (got ${v})`);
        runsGiven = true;
        break;
      }
      case '--rates': {
        const v = value();
        a.rates = list(v).map(Number);
        if (a.rates.length === 0 || a.rates.some((r) => !(r > 0 && r <= 1)))
          throw new AccuracyUsageError(`--rates needs shares 0 < r <= 1 (got ${v})`);
        ratesGiven = true;
        break;
      }
      case '--subjects': {
        a.subjects = list(value());
        const known = ACCURACY_SUBJECTS.map((s) => s.id);
        const bad = a.subjects.filter((s) => !known.includes(s));
        if (bad.length || a.subjects.length === 0)
          throw new AccuracyUsageError(`unknown subject "${bad.join(', ')}" (expected ${known.join(', ')})`);
        break;
      }
      case '--classes': {
        a.classes = list(value());
        const known = ['clean', ...LEAK_CLASSES];
        const bad = a.classes.filter((s) => !known.includes(s));
        if (bad.length || a.classes.length === 0)
          throw new AccuracyUsageError(`unknown class "${bad.join(', ')}" (expected ${known.join(', ')})`);
        break;
      }
      case '--quick':
        quick = true;
        break;
      case '--no-busy':
        a.busy = false;
        break;
      case '--out':
        a.out = value();
        break;
      case '--run-timeout':
        try {
          a.runTimeoutMs = parseDuration(value(), '--run-timeout', 1_000);
        } catch (err) {
          throw new AccuracyUsageError((err as Error).message);
        }
        break;
      case '--help':
      case '-h':
        throw new AccuracyUsageError('help');
      default:
        throw new AccuracyUsageError(`unknown flag ${flag}`);
    }
  }
  // --quick: one run of each cell, every leak on every connection (a smoke test of the machinery, not a measure)
  if (quick) {
    if (!runsGiven) a.runs = 1;
    if (!ratesGiven) a.rates = [1];
  }
  return a;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A spinning process beside the runs, in its own group; its stop() kills it on every path. */
function startBusyLoop(marker: string): { stop(): Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [BUSY_MARKER]: marker },
  });
  const pid = child.pid ?? -1;
  const exited = once(child, 'exit').catch(() => undefined);
  const release = pid > 0 ? registerCleanup((sig) => void signalGroup(pid, sig)) : () => {};
  return {
    async stop() {
      if (pid > 0) signalGroup(pid, 'SIGKILL');
      await Promise.race([exited, sleep(2_000)]);
      release();
    },
  };
}

/** The stress argv (after `stress`) for one cell. */
function targetArgs(subject: AccuracySubject, cell: Cell, cBinary: string | null): string[] {
  if (subject.kind === 'strategy') {
    const fault = cell.leak === null ? [] : ['--fault', CLASS_FAULT[cell.leak], '--fault-rate', String(cell.rate)];
    return ['--strategy', subject.strategy, ...fault];
  }
  return ['--mode', 'server', '--echo', '--', ...fixtureCommand(subject.id, cell.leak, cell.rate, cBinary)];
}

/** One `handoff stress` run of the CLI, in its own process group, bounded by timeoutMs. */
async function runOnce(args: string[], reportDir: string, seed: string, timeoutMs: number): Promise<RunOutcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, [FAULT_SEED_ENV]: seed };
  delete env.NODE_OPTIONS; // a test runner's loader is not part of what users run
  const child = spawn(process.execPath, [cliPath(), 'stress', '--suite', SUITE, '--report-dir', reportDir, '--format', 'json', ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
    cwd: packageRoot,
  });
  const pid = child.pid ?? -1;
  const release = pid > 0 ? registerCleanup((sig) => void signalGroup(pid, sig)) : () => {};
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-2000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(pid, 'SIGTERM');
    setTimeout(() => signalGroup(pid, 'SIGKILL'), 3_000).unref();
  }, timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  signalGroup(pid, 'SIGKILL'); // whatever of the group is left (the stress run ends its own target)
  release();
  const lastLine = stderr.trim().split('\n').pop() ?? '';
  if (timedOut) return { exitCode: null, verdict: 'error', failed: [], requests: 0, loadMs: 0, error: `timed out after ${timeoutMs} ms` };
  try {
    const report = JSON.parse(readFileSync(join(reportDir, 'latest', 'report.json'), 'utf8')) as Report;
    const load = report.phases.find((p) => p.name === 'load');
    return {
      exitCode: code,
      verdict: report.verdict,
      failed: report.checks.filter((c) => !c.pass && !c.allowedBy).map((c) => c.id),
      requests: Object.values(report.load).reduce((n, g) => n + g.requests, 0),
      connections: connectionsOf(report),
      loadMs: load ? Math.round(load.end - load.start) : 0,
    };
  } catch {
    return { exitCode: code, verdict: 'error', failed: [], requests: 0, loadMs: 0, error: `exit ${code}, no report: ${lastLine}` };
  }
}

/** Connections the target accepted, from each generator's own count (churn opens one per request; a flood keeps
 * a few alive; tunnels, abuse and origin-fault cases are one each). */
export function connectionsOf(report: Pick<Report, 'load'>): number {
  let n = 0;
  for (const g of Object.values(report.load)) {
    const x = g.extra ?? {};
    n += x.connectionsOpened ?? x.connections ?? x.tunnels ?? x.cases ?? g.requests;
  }
  return n;
}

export async function runAccuracy(
  args: AccuracyArgs,
  log: (m: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<{ report: AccuracyReport; dir: string }> {
  const started = Date.now();
  const id = new Date(started).toISOString().replace(/[:.]/g, '-');
  const dir = args.out ?? join(packageRoot, 'reports', `accuracy-${id}`);
  mkdirSync(dir, { recursive: true });
  const skipped: AccuracyReport['skipped'] = [];
  const wanted = ACCURACY_SUBJECTS.filter((s) => args.subjects === null || args.subjects.includes(s.id));
  let cBinary: string | null = null;
  if (wanted.some((s) => s.id === 'c-forking')) {
    const built = buildCFixture(join(dir, 'build'));
    if (built.ok) cBinary = built.path;
    else skipped.push({ subject: 'c-forking', reason: built.reason });
  }
  const python = wanted.some((s) => s.id.startsWith('py-')) && pythonAvailable();
  const fork = wanted.some((s) => s.id === 'fork') ? loadForkAddon() : null;
  const usable = wanted.filter((s) => {
    if (s.id === 'c-forking') return cBinary !== null;
    const skip = (subject: string, reason: string): false => {
      skipped.push({ subject, reason });
      return false;
    };
    if (s.id.startsWith('py-') && !python) return skip(s.id, 'no python3');
    if (s.id === 'fork' && fork && !fork.ok) return skip('fork', fork.reason);
    return true;
  });
  const cells = buildMatrix(usable, { subjects: null, classes: args.classes, rates: args.rates });
  const runs: Record<string, RunOutcome[]> = Object.fromEntries(cells.map((c) => [cellKey(c), []]));
  const report: AccuracyReport = {
    schema: 1,
    id,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationSec: 0,
    machine: machineInfo(),
    settings: { runs: args.runs, rates: args.rates, subjects: args.subjects, classes: args.classes, busy: args.busy, suite: SUITE },
    skipped,
    cells: [],
    runs,
  };
  const write = (): void => {
    report.cells = cells.map((c) => foldCell(c, runs[cellKey(c)]!));
    report.finishedAt = new Date().toISOString();
    report.durationSec = Math.round((Date.now() - started) / 100) / 10;
    writeFileSync(join(dir, 'accuracy.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(dir, 'accuracy.md'), renderAccuracyMarkdown(report));
  };
  const busy = args.busy ? startBusyLoop(dir) : null;
  try {
    const total = cells.length * args.runs;
    let k = 0;
    // interleaved: run i of every cell before run i + 1 of any, so the machine's drift spreads over all cells
    for (let i = 1; i <= args.runs; i++) {
      for (const cell of cells) {
        const key = cellKey(cell);
        const subject = usable.find((s) => s.id === cell.subject)!;
        const runDir = join(dir, 'runs', `${key.replace(/[^a-z0-9.@-]+/gi, '_')}-${i}`);
        const o = await runOnce(targetArgs(subject, cell, cBinary), runDir, `${key}#${i}`, args.runTimeoutMs);
        runs[key]!.push(o);
        log(
          `[${++k}/${total}] ${key} run ${i}: ${o.verdict}${o.failed.length ? ` (${o.failed.join(', ')})` : ''}, ${o.requests} requests, load ${(o.loadMs / 1000).toFixed(1)} s${o.error ? `: ${o.error}` : ''}`,
        );
        write();
      }
    }
  } finally {
    await busy?.stop();
    write();
  }
  return { report, dir };
}

const USAGE = `usage: node dist/bench/accuracy.js [--runs N] [--rates 0.01,0.05] [--subjects ${ACCURACY_SUBJECTS.map((s) => s.id).join('|')}[,…]]
                                [--classes clean,${LEAK_CLASSES.join(',')}] [--quick] [--no-busy] [--out DIR] [--run-timeout 240s]`;

runIfMain(import.meta.url, {
  tool: 'accuracy',
  usage: USAGE,
  parse: parseAccuracyArgs,
  isUsageError: (err): err is Error => err instanceof AccuracyUsageError,
  run: runAccuracy,
  report({ report, dir }) {
    for (const t of evaluateAccuracyTargets(report.cells)) {
      const state = t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED';
      process.stdout.write(`${state.padEnd(12)} ${t.target}: ${t.measured}\n`);
    }
    process.stdout.write(`accuracy report: ${join(dir, 'accuracy.md')}\n`);
    return report.cells.some((c) => c.errors > 0) ? 1 : 0;
  },
});
