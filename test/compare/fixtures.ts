// Comparison fixtures built from the report fixtures (test/fixtures/reports/{pass,fail}) without running anything.
import { runMetrics, runStatusOf } from '../../src/compare/aggregate.js';
import { buildComparison } from '../../src/compare/build.js';
import type { CompareRun, Comparison, RunMetrics, TargetSpecSummary } from '../../src/compare/types.js';
import type { Report } from '../../src/model/report.js';
import { fixture, HOSTILE_FRAGMENT } from '../report/fixtures.js';

export function metrics(over: Partial<RunMetrics> = {}): RunMetrics {
  return {
    requestsPerSec: 100,
    errors: 0,
    requests: 1000,
    peakChildren: 0,
    peakFds: 30,
    peakRssBytes: 50 * 1024 * 1024,
    peakPssBytes: 20 * 1024 * 1024,
    peakCloseWait: 0,
    timeToQuietMs: 40,
    failedChecks: [],
    perGenerator: { flood: { requestsPerSec: 100, p50Ms: 2, p99Ms: 9, maxMs: 20, errors: 0, requests: 1000 } },
    ...over,
  };
}

export function compareRun(
  order: number,
  target: string,
  rep: number,
  m: RunMetrics | null,
  status: CompareRun['status'] = 'pass',
): CompareRun {
  return {
    order,
    target,
    rep,
    status,
    runId: `run-${order}`,
    runDir: `runs/run-${order}`,
    message: null,
    metrics: m,
    startedAt: '2025-01-01T00:00:00.000Z',
    wallMs: 3000,
  };
}

/** A hostile command target: its label and argv carry markup and Markdown specials. */
export const HOSTILE_COMMAND = ['python3', `x${HOSTILE_FRAGMENT}|*_[y](z).py`, '{port}'];

/**
 * Three targets × 2 interleaved reps: inline (pass fixture twice), per-connection (pass, then fail), and a
 * hostile command (fail twice); each run's report is a fixture with a shifted timeline.
 */
export function sampleComparison(): Comparison {
  const targets: TargetSpecSummary[] = [
    { label: 'inline', kind: 'reference-proxy', strategy: 'inline', command: null },
    { label: 'per-connection', kind: 'reference-proxy', strategy: 'per-connection', command: null },
    { label: `hostile ${HOSTILE_FRAGMENT}`, kind: 'command', strategy: null, command: HOSTILE_COMMAND },
  ];
  const plan: [number, 'pass' | 'fail', number][] = [
    [0, 'pass', 1],
    [1, 'pass', 1],
    [2, 'fail', 1],
    [0, 'pass', 2],
    [1, 'fail', 2],
    [2, 'fail', 2],
  ];
  const runs: CompareRun[] = [];
  const reports = new Map<number, Report>();
  plan.forEach(([ti, kind, rep], i) => {
    const report = fixture(kind);
    const scale = 1 + ti * 0.5 + rep * 0.1;
    report.timeline = report.timeline.map((p) => ({ ...p, children: Math.round(p.children * scale), fds: Math.round(p.fds * scale) }));
    for (const l of Object.values(report.load)) l.requests = Math.round(l.requests / scale);
    report.runId = `2025-${targets[ti].strategy ?? 'command'}-${i + 1}`;
    const order = i + 1;
    reports.set(order, report);
    runs.push({
      ...compareRun(order, targets[ti].label, rep, runMetrics(report), runStatusOf(report)),
      runId: report.runId,
      runDir: `runs/${report.runId}`,
    });
  });
  return buildComparison({
    id: 'compare-test-0001',
    version: '0.0.0-test',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    suite: 'ci',
    mode: 'proxy',
    overrides: { durationMs: 1000, connections: null, drainMs: null },
    repeat: 2,
    targets,
    runs,
    reports,
    machine: { cores: 2, cpuModel: 'test cpu', node: 'v20.0.0', platform: 'linux test' },
  });
}
