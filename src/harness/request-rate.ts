// Request rate over time for the report's charts: generators only keep running totals (their live()
// counters), so a recorder samples the total a few times a second and the timeline points get the rate
// between consecutive points by interpolating that cumulative series.
import type { TimelinePoint } from '../model/report.js';

export interface CountPoint {
  /** ms since run start */
  t: number;
  /** completed requests so far, across generators */
  count: number;
}

/** Cumulative count at time t, linear between recorded points, flat outside them. */
export function countAt(series: readonly CountPoint[], t: number): number {
  if (series.length === 0) return 0;
  if (t <= series[0].t) return series[0].count;
  const last = series[series.length - 1];
  if (t >= last.t) return last.count;
  let lo = 0;
  let hi = series.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (series[mid].t <= t) lo = mid;
    else hi = mid;
  }
  const a = series[lo];
  const b = series[hi];
  return b.t === a.t ? b.count : a.count + ((b.count - a.count) * (t - a.t)) / (b.t - a.t);
}

/** The timeline with reqRate (requests/s since the previous point) filled in; unchanged without a series. */
export function withRequestRate(timeline: readonly TimelinePoint[], series: readonly CountPoint[]): TimelinePoint[] {
  if (series.length < 2) return timeline.map((p) => ({ ...p }));
  return timeline.map((p, i) => {
    if (i === 0) return { ...p, reqRate: 0 };
    const dt = p.t - timeline[i - 1].t;
    const done = countAt(series, p.t) - countAt(series, timeline[i - 1].t);
    return { ...p, reqRate: dt > 0 ? Math.max(0, Math.round((done * 1000) / dt)) : 0 };
  });
}

/** Samples a running total every intervalMs until stopped. */
export class RequestCountRecorder {
  readonly series: CountPoint[] = [];
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly total: () => number,
    private readonly clock: () => number,
    private readonly intervalMs = 200,
  ) {}
  start(): void {
    this.record();
    this.timer = setInterval(() => this.record(), this.intervalMs);
    this.timer.unref();
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.record();
  }
  private record(): void {
    this.series.push({ t: this.clock(), count: this.total() });
  }
}
