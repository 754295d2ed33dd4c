// Pure reductions of a comparison: one run's report → its headline metrics; a target's runs → medians
// with their range; all runs → the exit code. No I/O.
import { EXIT, type Report } from '../model/report.js';
import { checkStatus, requestsPerSecond } from '../report/text.js';
import type { CompareRun, RunMetrics, Spread, TargetSpecSummary, TargetSummary, TargetTimeline } from './types.js';

/** Median of finite numbers (mean of the two middle values for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Median and range of one metric over runs. null means "never" (e.g. never quiet) and sorts above every
 * number: a median that lands on it is null, and so is the max when any run never got there.
 */
export function spread(values: readonly (number | null)[], nullMeans: 'never' | 'missing' = 'never'): Spread {
  if (nullMeans === 'missing') values = values.filter((v) => v !== null);
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const never = values.length - finite.length;
  if (!values.length) return { median: null, min: null, max: null, n: 0, never: 0 };
  const ordered = [...finite].sort((a, b) => a - b).concat(new Array<number>(never).fill(Number.POSITIVE_INFINITY));
  const mid = ordered.length >> 1;
  const m = ordered.length % 2 ? ordered[mid] : (ordered[mid - 1] + ordered[mid]) / 2;
  return {
    median: Number.isFinite(m) ? m : null,
    min: finite.length ? ordered[0] : null,
    max: never ? null : ordered[ordered.length - 1],
    n: values.length,
    never,
  };
}

export function runMetrics(report: Report): RunMetrics {
  const loads = Object.values(report.load);
  const perGenerator: RunMetrics['perGenerator'] = {};
  let requestsPerSec = 0;
  let errors = 0;
  let requests = 0;
  for (const l of loads) {
    const rate = requestsPerSecond(l) ?? 0;
    const errs = l.errors + l.timeouts;
    // a generator that got no response has no latency (its zeros are not fast answers)
    const answered = l.requests > 0;
    perGenerator[l.generator] = {
      requestsPerSec: rate,
      p50Ms: answered ? l.latencyMs.p50 : null,
      p99Ms: answered ? l.latencyMs.p99 : null,
      maxMs: answered ? l.latencyMs.max : null,
      errors: errs,
      requests: l.requests,
    };
    requestsPerSec += rate;
    errors += errs;
    requests += l.requests;
  }
  return {
    requestsPerSec,
    errors,
    requests,
    peakChildren: report.peaks.children,
    peakFds: report.peaks.fds,
    peakRssBytes: report.peaks.rssBytes,
    peakPssBytes: report.peaks.pssBytes ?? null,
    peakCloseWait: report.peaks.closeWait,
    timeToQuietMs: report.timeToQuietMs,
    failedChecks: report.checks.filter((c) => checkStatus(c) === 'fail').map((c) => c.id),
    perGenerator,
  };
}

/** a run's status from its report (the gate may have failed it on thresholds or an expired allow-list); a run short of its evidence floor is inconclusive, not a failure */
export const runStatusOf = (report: Report): 'pass' | 'fail' | 'inconclusive' =>
  report.verdict === 'pass' && report.exitCode === EXIT.pass
    ? 'pass'
    : report.verdict === 'inconclusive' && report.exitCode === EXIT.inconclusive
      ? 'inconclusive'
      : 'fail';

/**
 * The generator whose latency heads the table: the one with the most responses over every measured run
 * (ties: by name). One choice for all targets, so a target whose bulk generator got nothing shows no
 * latency rather than another generator's.
 */
export function latencyGenerator(runs: readonly CompareRun[]): string | null {
  const totals = new Map<string, number>();
  for (const r of runs)
    for (const [g, x] of Object.entries(r.metrics?.perGenerator ?? {})) totals.set(g, (totals.get(g) ?? 0) + x.requests);
  const ranked = [...totals].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return ranked[0]?.[0] ?? null;
}

export function summarizeTarget(
  spec: TargetSpecSummary,
  runs: readonly CompareRun[],
  latencyFrom: string | null = latencyGenerator(runs),
): TargetSummary {
  const mine = runs.filter((r) => r.target === spec.label);
  const measured = mine.filter((r) => r.metrics !== null).map((r) => r.metrics!);
  const pick = (f: (m: RunMetrics) => number | null, nullMeans: 'never' | 'missing' = 'missing'): Spread =>
    spread(measured.map(f), nullMeans);
  const count = (s: CompareRun['status']): number => mine.filter((r) => r.status === s).length;
  const leakRuns = new Map<string, number>();
  for (const m of measured) for (const id of new Set(m.failedChecks)) leakRuns.set(id, (leakRuns.get(id) ?? 0) + 1);
  const generators = [...new Set(measured.flatMap((m) => Object.keys(m.perGenerator)))];
  const perGenerator: TargetSummary['perGenerator'] = {};
  for (const g of generators) {
    const of = (f: (x: RunMetrics['perGenerator'][string]) => number | null): Spread =>
      spread(
        measured.filter((m) => m.perGenerator[g]).map((m) => f(m.perGenerator[g])),
        'missing',
      );
    perGenerator[g] = { requestsPerSec: of((x) => x.requestsPerSec), p50Ms: of((x) => x.p50Ms), p99Ms: of((x) => x.p99Ms) };
  }
  const notStarted = count('not-started');
  const errored = count('error');
  const failed = count('fail');
  const inconclusive = count('inconclusive');
  return {
    ...spec,
    verdict: notStarted ? 'not-started' : errored ? 'error' : failed ? 'fail' : inconclusive ? 'inconclusive' : 'pass',
    runs: mine.length,
    passed: count('pass'),
    failed,
    inconclusive,
    notStarted,
    errored,
    requestsPerSec: pick((m) => m.requestsPerSec),
    p50Ms: pick((m) => (latencyFrom ? (m.perGenerator[latencyFrom]?.p50Ms ?? null) : null)),
    p99Ms: pick((m) => (latencyFrom ? (m.perGenerator[latencyFrom]?.p99Ms ?? null) : null)),
    maxMs: pick((m) => (latencyFrom ? (m.perGenerator[latencyFrom]?.maxMs ?? null) : null)),
    errors: pick((m) => m.errors),
    peakChildren: pick((m) => m.peakChildren),
    peakFds: pick((m) => m.peakFds),
    peakRssBytes: pick((m) => m.peakRssBytes),
    peakPssBytes: pick((m) => m.peakPssBytes),
    timeToQuietMs: pick((m) => m.timeToQuietMs, 'never'),
    leaks: [...leakRuns].map(([check, n]) => ({ check, runs: n })).sort((a, b) => b.runs - a.runs || a.check.localeCompare(b.check)),
    perGenerator,
  };
}

/**
 * The comparison's exit code: 3 when a target could not start (the comparison is incomplete), 70 for an
 * internal error of a run, 1 when any run failed a check, 4 when none failed but one was inconclusive (short of
 * its evidence floor), 0 when every run passed.
 */
export function comparisonExitCode(runs: readonly Pick<CompareRun, 'status'>[]): number {
  if (runs.some((r) => r.status === 'not-started')) return EXIT.notStarted;
  if (runs.some((r) => r.status === 'error')) return EXIT.internal;
  if (runs.some((r) => r.status === 'fail')) return EXIT.fail;
  if (runs.some((r) => r.status === 'inconclusive')) return EXIT.inconclusive;
  return runs.length ? EXIT.pass : EXIT.usage;
}

/** The run whose throughput is the target's median (the first of two middles): its timeline stands for the target. */
export function representativeRun(target: string, runs: readonly CompareRun[]): CompareRun | null {
  const measured = runs.filter((r) => r.target === target && r.metrics !== null);
  if (!measured.length) return null;
  const sorted = [...measured].sort((a, b) => a.metrics!.requestsPerSec - b.metrics!.requestsPerSec || a.order - b.order);
  return sorted[(sorted.length - 1) >> 1];
}

/** A run's timeline shifted so its load starts at 0 (so every target shares one axis). */
export function timelineOf(target: string, report: Report): TargetTimeline {
  const load = report.phases.find((p) => p.name === 'load');
  const t0 = load?.start ?? 0;
  return {
    target,
    runId: report.runId,
    loadMs: load ? load.end - load.start : 0,
    points: report.timeline.map((p) => ({
      t: p.t - t0,
      children: p.children,
      fds: p.fds,
      rssBytes: p.rssBytes,
      pssBytes: p.pssBytes ?? null,
      closeWait: p.sockets?.CLOSE_WAIT ?? 0,
      reqRate: typeof p.reqRate === 'number' ? p.reqRate : null,
      cpuPct: p.cpuPct,
    })),
  };
}
