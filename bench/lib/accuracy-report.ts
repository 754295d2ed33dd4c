// accuracy.json's shape and accuracy.md (what a person reads; its tables go into docs/reading-a-report.md).
import type { MachineInfo } from './machine.js';
import { STRIKES_NEEDED, connectionsForPower, missProbability, type CellSummary, type RunOutcome } from './accuracy-matrix.js';

export interface AccuracySettings {
  runs: number;
  rates: number[];
  subjects: string[] | null;
  classes: string[] | null;
  busy: boolean;
  suite: string;
}

export interface AccuracyReport {
  schema: 1;
  id: string;
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  machine: MachineInfo;
  settings: AccuracySettings;
  /** subjects left out, and why (no compiler, no addon, no python3) */
  skipped: { subject: string; reason: string }[];
  cells: CellSummary[];
  /** every run's outcome, by cell key, in order */
  runs: Record<string, RunOutcome[]>;
}

export interface AccuracyTarget {
  target: string;
  measured: string;
  met: boolean | null;
}

const RUNS_FOR_A_TARGET = 20;
const pct = (x: number | null): string => (x === null ? '–' : `${Math.round(x * 100)} %`);
const of = (n: number, runs: number): string => `${n}/${runs}`;

/** P(miss) of a leak cell at its median size, as text ('–' where connections do not give the chances). */
function pMiss(c: CellSummary): string {
  if (c.cell.leak === null || c.cell.rate === null) return '–';
  // orphan-on-shutdown strikes the children alive at SIGTERM (a spare, a pool's workers), not connections
  if (c.cell.leak === 'orphan') return '– (per child at shutdown)';
  return missProbability(c.cell.rate, c.medianConnections, STRIKES_NEEDED[c.cell.leak]).toFixed(3);
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The issue's targets, judged on what this run measured (a cell with fewer than 20 runs cannot meet one). */
export function evaluateAccuracyTargets(cells: readonly CellSummary[]): AccuracyTarget[] {
  const out: AccuracyTarget[] = [];
  for (const c of cells.filter((x) => x.cell.leak !== null && x.cell.rate === 0.01)) {
    const enough = c.runs >= RUNS_FOR_A_TARGET;
    out.push({
      target: `${c.cell.subject}: a 1-in-100 ${c.cell.leak} leak caught on its check in ≥ 19 of 20 runs`,
      measured: `${of(c.caughtAsIntended, c.runs)} (median ${c.medianConnections} connections a run; P(miss) ${pMiss(c)})`,
      // short of 20 runs, two misses already rule out 19 of 20; fewer prove nothing yet
      met: enough ? c.caughtAsIntended / c.runs >= 0.95 : c.runs - c.caughtAsIntended > 1 ? false : null,
    });
  }
  for (const c of cells.filter((x) => x.cell.leak === null)) {
    out.push({
      target: `${c.cell.subject}: 0 false fails and 0 flips in 20 clean runs`,
      measured: `${c.fails} false fails, ${c.flips} flips in ${c.runs} runs`,
      met: c.fails > 0 || c.flips > 0 ? false : c.runs >= RUNS_FOR_A_TARGET ? true : null,
    });
  }
  // a leak may hold the floor back on purpose (no EOF, no end): the floor is a clean server's promise
  for (const c of cells) {
    if (c.runs === 0 || c.cell.leak !== null) continue;
    out.push({
      target: `${c.cell.subject}: evidence floor met within 30 s`,
      measured: `longest load ${(c.maxLoadMs / 1000).toFixed(1)} s, ${c.inconclusive} inconclusive`,
      met: c.maxLoadMs <= 30_000 && c.inconclusive === 0,
    });
  }
  return out;
}

export function renderAccuracyMarkdown(r: AccuracyReport): string {
  const leaks = r.cells.filter((c) => c.cell.leak !== null);
  const clean = r.cells.filter((c) => c.cell.leak === null);
  const checks = (c: CellSummary): string =>
    Object.entries(c.failedChecks)
      .map(([id, n]) => `${id} ${n}`)
      .join(', ') || '–';
  const leakRows = leaks.map((c) => [
    c.cell.subject,
    c.cell.leak!,
    String(c.cell.rate),
    `${of(c.fails, c.runs)} (${pct(c.detectionRate)})`,
    of(c.caughtAsIntended, c.runs),
    String(c.inconclusive + c.errors),
    `${c.medianConnections} (${c.medianRequests})`,
    pMiss(c),
    checks(c),
  ]);
  const cleanRows = clean.map((c) => [
    c.cell.subject,
    of(c.fails, c.runs),
    String(c.inconclusive),
    String(c.errors),
    String(c.flips),
    String(c.medianRequests),
    `${(c.maxLoadMs / 1000).toFixed(1)} s`,
    checks(c),
  ]);
  const targets = evaluateAccuracyTargets(r.cells).map((t) => [
    t.target,
    t.measured,
    t.met === null ? 'not measured (fewer than 20 runs)' : t.met ? '**met**' : '**missed**',
  ]);
  const s = r.settings;
  return [
    `# handoff accuracy ${r.id}`,
    '',
    `The default \`${s.suite}\` suite, ${s.runs} run(s) per cell, interleaved; ${s.busy ? 'a busy loop (one core spinning) beside every run' : 'no busy loop'}. ` +
      `${r.machine.cores} cores (${r.machine.cpuModel}), load ${r.machine.loadAverageAtStart} at start, ${r.durationSec} s in all. ` +
      `Each run's fault draws are seeded (HANDOFF_FAULT_SEED = cell#run).`,
    '',
    r.skipped.length ? `Skipped: ${r.skipped.map((x) => `${x.subject} (${x.reason})`).join('; ')}.\n` : '',
    '## Detection: a leak on a share of connections',
    '',
    'caught = the run failed; on its check = failed on a check meant for that leak class; P(miss) = the chance that the ' +
      'leak struck fewer times than its check needs (once; a kept descriptor twice) in a run of median size, binomial over ' +
      "its connections: no check can do better than 1 − P(miss). An orphan canary strikes only the children alive at shutdown (a spare, a pool's workers), not connections.",
    '',
    leakRows.length
      ? table(
          [
            'subject',
            'leak',
            'rate',
            'caught',
            'on its check',
            'inconclusive/error',
            'median connections (requests)',
            'P(miss)',
            'failed checks',
          ],
          leakRows,
        )
      : '(no leak cells)',
    '',
    '## False alarms: clean subjects',
    '',
    cleanRows.length
      ? table(['subject', 'false fails', 'inconclusive', 'errors', 'flips', 'median requests', 'longest load', 'failed checks'], cleanRows)
      : '(no clean cells)',
    '',
    '## Targets',
    '',
    `A 1 % leak bites at least once in a run with 95 % probability only from ${connectionsForPower(0.01, 0.95)} connections a run (99 %: ${connectionsForPower(0.01, 0.99)}): below that, no check can reach the target.`,
    '',
    table(['target', 'measured', 'met'], targets),
    '',
  ].join('\n');
}
