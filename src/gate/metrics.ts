// The metrics a threshold can name, each read off a Report. Load metrics may be narrowed to one
// generator with `metric{generator}`; without it counts sum every generator, and latencies are the worst of the
// normal-traffic generators (flood, churn, tunnel): the scripted ones (abuse, origin-faults, chaos) are slow on
// purpose — a slow origin, a client that stalls — so "p99_ms": "<250" must not mean the deliberate fault's p99.
import type { LoadStats, Report } from '../model/report.js';

export type MetricUnit = 'ms' | 'bytes' | 'count' | 'ratio' | 'rate' | 'percent';

export interface MetricDef {
  unit: MetricUnit;
  description: string;
  /** reads a generator's LoadStats: can be narrowed with {generator} */
  perGenerator: boolean;
  value(report: Report, generator: string | null): number | null;
}

const loads = (report: Report, generator: string | null): LoadStats[] | null => {
  if (generator === null) return Object.values(report.load);
  const one = report.load[generator];
  return one ? [one] : null;
};

/** generator types whose latency is the service's own; the others script slowness on purpose */
export const NORMAL_TRAFFIC: readonly string[] = ['flood', 'churn', 'tunnel'];
const skipped = (l: LoadStats): boolean => (l.extra?.skipped ?? 0) > 0;
/** the generators an untagged latency metric reads: normal traffic that ran (older reports: known by name) */
const latencyLoads = (report: Report, generator: string | null): LoadStats[] | null =>
  generator !== null
    ? loads(report, generator)
    : Object.values(report.load).filter((l) => NORMAL_TRAFFIC.includes(l.kind ?? l.generator) && !skipped(l) && l.requests > 0);

const sum = (list: LoadStats[] | null, pick: (l: LoadStats) => number): number | null =>
  list ? list.reduce((n, l) => n + pick(l), 0) : null;
const worst = (list: LoadStats[] | null, pick: (l: LoadStats) => number): number | null =>
  list?.length ? Math.max(...list.map(pick)) : null;
const timelineMax = (report: Report, pick: (p: Report['timeline'][number]) => number | undefined): number | null => {
  const values = report.timeline.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return values.length ? Math.max(...values) : null;
};
const non2xx = (l: LoadStats): number => Object.entries(l.statuses).reduce((n, [s, c]) => (/^2\d\d$/.test(s) ? n : n + c), 0);
const status5xx = (l: LoadStats): number => Object.entries(l.statuses).reduce((n, [s, c]) => (/^5\d\d$/.test(s) ? n + c : n), 0);

function latency(key: keyof LoadStats['latencyMs'], label: string): MetricDef {
  return {
    unit: 'ms',
    description: `${label} latency: the worst of the normal-traffic generators (${NORMAL_TRAFFIC.join(', ')}) unless narrowed to one`,
    perGenerator: true,
    value: (r, g) => worst(latencyLoads(r, g), (l) => l.latencyMs[key]),
  };
}

export const METRICS: Record<string, MetricDef> = {
  p50_ms: latency('p50', 'median'),
  p90_ms: latency('p90', '90th percentile'),
  p99_ms: latency('p99', '99th percentile'),
  max_ms: latency('max', 'maximum'),
  mean_ms: latency('mean', 'mean'),
  requests: { unit: 'count', description: 'requests made', perGenerator: true, value: (r, g) => sum(loads(r, g), (l) => l.requests) },
  requests_per_s: {
    unit: 'rate',
    description: 'requests per second (generators run side by side, so their rates add up)',
    perGenerator: true,
    value: (r, g) => sum(loads(r, g), (l) => (l.durationMs > 0 ? (l.requests * 1000) / l.durationMs : 0)),
  },
  errors: {
    unit: 'count',
    description: 'failed requests (connection errors, resets)',
    perGenerator: true,
    value: (r, g) => sum(loads(r, g), (l) => l.errors),
  },
  timeouts: {
    unit: 'count',
    description: 'requests that timed out',
    perGenerator: true,
    value: (r, g) => sum(loads(r, g), (l) => l.timeouts),
  },
  error_rate: {
    unit: 'ratio',
    description: '(errors + timeouts) / requests; no data when no request was made',
    perGenerator: true,
    value: (r, g) => {
      const list = loads(r, g);
      const requests = sum(list, (l) => l.requests);
      if (!requests) return null;
      return (sum(list, (l) => l.errors + l.timeouts) ?? 0) / requests;
    },
  },
  non_2xx: {
    unit: 'count',
    description: 'responses whose status is not 2xx (including none)',
    perGenerator: true,
    value: (r, g) => sum(loads(r, g), non2xx),
  },
  status_5xx: {
    unit: 'count',
    description: 'responses with a 5xx status',
    perGenerator: true,
    value: (r, g) => sum(loads(r, g), status5xx),
  },
  peak_children: { unit: 'count', description: 'most live descendants at once', perGenerator: false, value: (r) => r.peaks.children },
  peak_fds: { unit: 'count', description: 'most open fds of the tree at once', perGenerator: false, value: (r) => r.peaks.fds },
  peak_rss_bytes: {
    unit: 'bytes',
    description: 'largest total RSS of the tree (pages shared by a forking tree count once per process)',
    perGenerator: false,
    value: (r) => r.peaks.rssBytes,
  },
  peak_pss_bytes: {
    unit: 'bytes',
    description: 'largest total PSS of the tree (shared pages counted once); no data in reports without it',
    perGenerator: false,
    value: (r) => r.peaks.pssBytes ?? null,
  },
  peak_close_wait: {
    unit: 'count',
    description: 'most CLOSE_WAIT sockets of the tree at once',
    perGenerator: false,
    value: (r) => r.peaks.closeWait,
  },
  peak_zombies: {
    unit: 'count',
    description: 'most zombies at once (timeline)',
    perGenerator: false,
    value: (r) => timelineMax(r, (p) => p.zombies),
  },
  peak_orphans: {
    unit: 'count',
    description: 'most orphans at once (timeline)',
    perGenerator: false,
    value: (r) => timelineMax(r, (p) => p.orphans),
  },
  peak_cpu_pct: {
    unit: 'percent',
    description: 'highest CPU of the tree, percent of one core (timeline)',
    perGenerator: false,
    value: (r) => timelineMax(r, (p) => p.cpuPct),
  },
  time_to_quiet_ms: {
    unit: 'ms',
    description: 'drain start → tree back to baseline; no data when it never settled',
    perGenerator: false,
    value: (r) => r.timeToQuietMs,
  },
  failed_checks: {
    unit: 'count',
    description: 'checks that failed and were not waived by the allow-list',
    perGenerator: false,
    value: (r) => r.checks.filter((c) => !c.pass && !c.allowedBy).length,
  },
};

export const METRIC_NAMES = Object.keys(METRICS);
