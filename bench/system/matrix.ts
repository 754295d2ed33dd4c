// Whole-system figures: every subject (strategies and reference proxies) under keep-alive load (flood) and
// connection churn, at each concurrency, through the subject to the harness's origin (a process of its own).
// Interleaved: each round starts every subject once, in a rotated order, and runs all its cells; the report
// takes medians over rounds, so slow drift of the shared machine spreads over every subject alike.
// Before each cell the subject's tree must be back at rest (the previous cell's children gone); during a cell
// its tree is polled for peak children and total RSS.
// A paced churn cell (one connection at a time, a fixed arrival rate below the spawn ceiling) gives the
// latency of spares when they can keep up, the case --spares is for.
import { compiled } from '../../src/paths.js';
import type { Endpoint } from '../../src/harness/load/generator.js';
import type { BenchEnv } from '../lib/context.js';
import { runCell, type CellResult, type LoadCell } from '../lib/load.js';
import { startHelper, TreePeaks, waitForRest, withRunning, type Running } from '../lib/processes.js';
import { median, round } from '../lib/stats.js';
import { REFERENCE_SUBJECTS, selectSubjects, STRATEGY_SUBJECTS, type LoadKind, type Subject } from '../lib/subjects.js';

export type CellKind = LoadKind | 'churn-paced';

function maxOrNull(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length > 0 ? Math.max(...known) : null;
}

export interface CellRun extends CellResult {
  peakChildren: number;
  peakRssBytes: number;
  /** null: the tree's memory maps could not be read */
  peakPssBytes: number | null;
  /** CPU of the subject's whole tree during the cell */
  cpuMs: number;
}

export interface MatrixCell {
  subject: string;
  kind: CellKind;
  connections: number;
  /** churn-paced only */
  rate?: number;
  runs: CellRun[];
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakChildren: number;
  peakRssBytes: number;
  peakPssBytes: number | null;
  /** median over runs of the tree's CPU per completed request (keep-alive) or connection (churn), µs */
  cpuUsPerRequest: number;
  errors: number;
  incidents: number;
}

export interface MatrixSubject {
  id: string;
  label: string;
  kind: Subject['kind'];
  useWhen: string | null;
  skipped: string | null;
  failures: string[];
}

export interface MatrixResult {
  bench: 'matrix';
  loads: LoadKind[];
  cellMs: number;
  repeats: number;
  concurrency: number[];
  pacedRate: number;
  /** subject order of each round */
  rounds: string[][];
  subjects: MatrixSubject[];
  cells: MatrixCell[];
}

/** Subjects whose paced c=1 churn latency is compared (spares vs inline, and without spares for contrast). */
const PACED_SUBJECTS = ['inline', 'per-connection', 'per-connection-spares', 'fork', 'fork-spares'];

function rotate<T>(list: T[], by: number): T[] {
  if (list.length === 0) return list;
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

export interface MatrixOptions {
  loads: LoadKind[];
  /** arrivals per second of the paced churn cell */
  pacedRate: number;
}

export async function benchMatrix(env: BenchEnv, opts: MatrixOptions): Promise<MatrixResult> {
  const { cellMs, repeats, concurrency, quick } = env.settings;
  const all = selectSubjects([...STRATEGY_SUBJECTS, ...REFERENCE_SUBJECTS], env.settings.subjects).filter((s) =>
    s.loads.some((l) => opts.loads.includes(l)),
  );
  const subjects: MatrixSubject[] = all.map((s) => ({
    id: s.id,
    label: s.label,
    kind: s.kind,
    useWhen: s.useWhen ?? null,
    skipped: s.unavailable(),
    failures: [],
  }));
  const runnable = all.filter((s) => subjects.find((m) => m.id === s.id)!.skipped === null);
  for (const m of subjects) if (m.skipped) env.log(`matrix: ${m.label} skipped: ${m.skipped}`);
  const runs = new Map<
    string,
    {
      cell: Omit<
        MatrixCell,
        'perSecond' | 'p50Ms' | 'p99Ms' | 'peakChildren' | 'peakRssBytes' | 'peakPssBytes' | 'cpuUsPerRequest' | 'errors' | 'incidents'
      >;
    }
  >();
  const rounds: string[][] = [];

  const origin = startHelper(
    { label: 'origin', argv: [process.execPath, compiled('bench/reference/origin-server.js')], ready: { kind: 'listening-line' } },
    env.runId,
  );
  await withRunning(origin, async (originProc) => {
    const originAt: Endpoint = { host: originProc.host, port: originProc.port };
    for (let round = 0; round < repeats; round++) {
      const order = rotate(runnable, round);
      rounds.push(order.map((s) => s.id));
      for (const subject of order) {
        const cells: (LoadCell & { cellKind: CellKind })[] = [];
        for (const kind of subject.loads.filter((l) => opts.loads.includes(l))) {
          for (const c of concurrency) cells.push({ kind, cellKind: kind, connections: c, durationMs: cellMs });
        }
        if (opts.loads.includes('churn') && PACED_SUBJECTS.includes(subject.id)) {
          cells.push({ kind: 'churn', cellKind: 'churn-paced', connections: 1, durationMs: cellMs * 2, rate: opts.pacedRate });
        }
        let running: Running | null = null;
        try {
          running = await subject.start(env);
          // warm-up: JIT, the proxy's upstream pool, the first children; not measured
          await runCell(
            { kind: subject.loads.includes('keepalive') ? 'keepalive' : 'churn', connections: 2, durationMs: quick ? 100 : 300 },
            running,
            originAt,
            AbortSignal.timeout(20_000),
          );
          for (const cell of cells) {
            env.log(`matrix: round ${round + 1}/${repeats} ${subject.id} ${cell.cellKind} c=${cell.connections}`);
            await waitForRest(running.pid, subject.resident);
            const peaks = new TreePeaks(running.pid).start();
            const result: CellResult = await runCell(cell, running, originAt, AbortSignal.timeout(cell.durationMs + 20_000)).finally(() =>
              peaks.stop(),
            );
            const peak = { children: peaks.children, rssBytes: peaks.rssBytes, pssBytes: peaks.pssBytes, cpuMs: peaks.cpuMs };
            const key = `${subject.id}|${cell.cellKind}|${cell.connections}`;
            const entry = runs.get(key) ?? {
              cell: { subject: subject.id, kind: cell.cellKind, connections: cell.connections, rate: cell.rate, runs: [] },
            };
            entry.cell.runs.push({
              ...result,
              peakChildren: peak.children,
              peakRssBytes: peak.rssBytes,
              peakPssBytes: peak.pssBytes,
              cpuMs: peak.cpuMs,
            });
            runs.set(key, entry);
          }
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          env.log(`matrix: ${subject.id} failed in round ${round + 1}: ${why}`);
          subjects.find((m) => m.id === subject.id)!.failures.push(`round ${round + 1}: ${why}`);
        } finally {
          await running?.stop();
        }
      }
    }
  });

  const cells: MatrixCell[] = [...runs.values()].map(({ cell }) => ({
    ...cell,
    perSecond: round(median(cell.runs.map((r) => r.perSecond)), 1),
    p50Ms: round(median(cell.runs.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(cell.runs.map((r) => r.p99Ms)), 3),
    peakChildren: Math.max(...cell.runs.map((r) => r.peakChildren)),
    peakRssBytes: Math.max(...cell.runs.map((r) => r.peakRssBytes)),
    peakPssBytes: maxOrNull(cell.runs.map((r) => r.peakPssBytes)),
    cpuUsPerRequest: round(median(cell.runs.map((r) => (r.requests > 0 ? (r.cpuMs * 1000) / r.requests : Number.NaN))), 0),
    errors: cell.runs.reduce((a, r) => a + r.errors + r.timeouts, 0),
    incidents: cell.runs.reduce((a, r) => a + r.incidents, 0),
  }));
  return { bench: 'matrix', loads: opts.loads, cellMs, repeats, concurrency, pacedRate: opts.pacedRate, rounds, subjects, cells };
}
