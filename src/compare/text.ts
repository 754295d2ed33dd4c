// Plain-text pieces shared by the comparison's Markdown, HTML and terminal renderers (escaping is theirs).
import { formatBytes, formatMs, formatNumber } from '../report/text.js';
import type { Comparison, Spread, TargetSummary } from './types.js';

export type SpreadKey =
  | 'requestsPerSec'
  | 'p50Ms'
  | 'p99Ms'
  | 'maxMs'
  | 'errors'
  | 'peakChildren'
  | 'peakFds'
  | 'peakRssBytes'
  | 'peakPssBytes'
  | 'timeToQuietMs';

export interface MetricColumn {
  key: SpreadKey;
  title: string;
  format: (n: number) => string;
  /** the direction that is better, for the bar charts' wording */
  better: 'higher' | 'lower';
}

export const METRIC_COLUMNS: readonly MetricColumn[] = [
  { key: 'requestsPerSec', title: 'req/s', format: (n) => formatNumber(n, 1), better: 'higher' },
  { key: 'p50Ms', title: 'p50', format: formatMs, better: 'lower' },
  { key: 'p99Ms', title: 'p99', format: formatMs, better: 'lower' },
  { key: 'maxMs', title: 'max', format: formatMs, better: 'lower' },
  { key: 'errors', title: 'errors', format: (n) => formatNumber(n, 1), better: 'lower' },
  { key: 'peakChildren', title: 'peak children', format: (n) => formatNumber(n, 1), better: 'lower' },
  { key: 'peakFds', title: 'peak fds', format: (n) => formatNumber(n, 1), better: 'lower' },
  { key: 'peakRssBytes', title: 'peak RSS', format: formatBytes, better: 'lower' },
  // a forking tree's RSS counts every shared page once per process; PSS counts it once
  { key: 'peakPssBytes', title: 'peak PSS', format: formatBytes, better: 'lower' },
  { key: 'timeToQuietMs', title: 'time to quiet', format: formatMs, better: 'lower' },
];

/** "12 ms", or with several runs that differ "12 ms (9 ms–15 ms)"; "never" when the median run never got there. */
export function formatSpread(s: Spread, format: (n: number) => string): string {
  if (s.n === 0) return '—';
  const one = (v: number | null): string => (v === null ? 'never' : format(v));
  const middle = s.median === null ? (s.never ? 'never' : '—') : format(s.median);
  if (s.n === 1 || s.min === null || (s.min === s.max && s.never === 0)) return middle;
  const range = `${one(s.min)}–${one(s.max)}`;
  return `${middle} (${range})`;
}

/** "children-drained, no-orphans" with "(2/3)" after a check that failed in only some runs; "—" for none. */
export function leaksText(t: TargetSummary): string {
  const measured = t.runs - t.notStarted - t.errored;
  if (!t.leaks.length) return measured > 0 ? 'none' : '—';
  return t.leaks.map((l) => (l.runs === measured ? l.check : `${l.check} (${l.runs}/${measured})`)).join(', ');
}

export function verdictText(t: TargetSummary): string {
  switch (t.verdict) {
    case 'pass':
      return t.runs > 1 ? `pass ${t.passed}/${t.runs}` : 'pass';
    case 'fail':
      return t.runs > 1 ? `FAIL ${t.failed}/${t.runs}` : 'FAIL';
    case 'inconclusive':
      return t.runs > 1 ? `inconclusive ${t.inconclusive}/${t.runs}` : 'inconclusive';
    case 'not-started':
      return 'did not start';
    case 'error':
      return 'internal error';
  }
}

export function comparisonTitle(c: Comparison): string {
  const runs = c.repeat === 1 ? '1 run each' : `${c.repeat} interleaved runs each (medians)`;
  return `suite ${c.suite}, ${c.targets.length} target${c.targets.length === 1 ? '' : 's'}, ${runs}`;
}

export function loadText(c: Comparison): string {
  const parts = [`${c.mode} mode`];
  if (c.overrides.durationMs !== null) parts.push(`duration ${formatMs(c.overrides.durationMs)}`);
  if (c.overrides.connections !== null) parts.push(`${c.overrides.connections} connections`);
  if (c.overrides.drainMs !== null) parts.push(`drain ${formatMs(c.overrides.drainMs)}`);
  if (parts.length === 1) parts.push("the suite's duration and connections");
  return parts.join(', ');
}

/** The order runs were executed in, compressed: "inline → prefork, × 3". */
export function orderText(c: Comparison): string {
  const round = c.targets.map((t) => t.label).join(' → ');
  return c.repeat > 1 ? `${round}, repeated ${c.repeat}× (interleaved)` : round;
}

/** What the headline columns mean (under the table). */
export function columnsNote(c: Comparison): string {
  const latency = c.latencyFrom
    ? `p50/p99/max are the latency of the ${c.latencyFrom} generator (it carried the most requests; every generator is listed separately)`
    : 'no generator got a response, so there is no latency';
  return `req/s summed over the suite's generators; ${latency}; errors include timeouts; peaks are of the whole process tree.`;
}

/** Aligned plain-text table for the terminal. */
export function formatCompareSummary(c: Comparison, where: string): string {
  const header = ['target', 'verdict', ...METRIC_COLUMNS.map((m) => m.title), 'failing checks'];
  const rows = c.targets.map((t) => [
    t.label,
    verdictText(t),
    ...METRIC_COLUMNS.map((m) => formatSpread(t[m.key], m.format)),
    leaksText(t),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    '  ' +
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [
    `handoff compare: ${c.verdict.toUpperCase()} (exit ${c.exitCode}) — ${comparisonTitle(c)}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  out.push(`  ${columnsNote(c)}`, `  comparison: ${where}`);
  return `${out.join('\n')}\n`;
}
