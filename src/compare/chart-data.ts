// What the comparison page draws (pure): each target's timeline resampled onto one shared time grid
// (seconds since its load started, so every target's load begins at 0), one chart per quantity, one
// series per target; and the bars of the headline medians.
import type { Comparison, TargetTimeline } from './types.js';

export const TARGET_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const targetColor = (i: number): string => TARGET_COLORS[i % TARGET_COLORS.length];

export interface CompareChartSpec {
  id: string;
  title: string;
  unit: string;
  series: { label: string; color: string; values: (number | null)[] }[];
}

export interface CompareChartData {
  /** seconds since load start */
  x: number[];
  /** the load phase, for shading: [0, loadEnd] seconds */
  loadEnd: number;
  charts: CompareChartSpec[];
}

/** Grid step (ms): about 1200 points at most, never finer than 100 ms. */
export function gridStep(spanMs: number): number {
  return Math.max(100, Math.ceil(spanMs / 1200 / 50) * 50);
}

type Point = TargetTimeline['points'][number];

/**
 * Sample-and-hold onto the grid: the value at t is the last sample at or before t; null before the first
 * sample and after the last one (plus one step), so a shorter run ends instead of lying flat.
 */
export function resample(
  points: readonly Point[],
  grid: readonly number[],
  step: number,
  pick: (p: Point) => number | null,
): (number | null)[] {
  const out: (number | null)[] = [];
  let i = -1;
  for (const t of grid) {
    while (i + 1 < points.length && points[i + 1].t <= t) i++;
    if (i < 0 || t > points[points.length - 1].t + step) out.push(null);
    else out.push(pick(points[i]));
  }
  return out;
}

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function compareChartData(c: Comparison): CompareChartData {
  const timelines = c.timelines.filter((tl) => tl.points.length > 0);
  if (!timelines.length) return { x: [], loadEnd: 0, charts: [] };
  const tMin = Math.min(...timelines.map((tl) => tl.points[0].t));
  const tMax = Math.max(...timelines.map((tl) => tl.points[tl.points.length - 1].t));
  const step = gridStep(tMax - tMin);
  const grid: number[] = [];
  for (let t = Math.floor(tMin / step) * step; t <= tMax + step; t += step) grid.push(t);
  const colorOf = (label: string): string =>
    targetColor(
      Math.max(
        0,
        c.targets.findIndex((t) => t.label === label),
      ),
    );
  const chart = (id: string, title: string, unit: string, pick: (p: Point) => number | null): CompareChartSpec => ({
    id,
    title,
    unit,
    series: timelines.map((tl) => ({ label: tl.target, color: colorOf(tl.target), values: resample(tl.points, grid, step, pick) })),
  });
  const anyRate = timelines.some((tl) => tl.points.some((p) => p.reqRate !== null));
  const charts = [
    chart('children', 'Live children', 'processes', (p) => p.children),
    chart('fds', 'File descriptors of the tree', 'fds', (p) => p.fds),
    chart('rss', 'Resident memory of the tree (RSS: shared pages once per process)', 'MiB', (p) => round(p.rssBytes / (1024 * 1024), 1)),
  ];
  if (timelines.some((tl) => tl.points.some((p) => p.pssBytes !== null))) {
    charts.push(
      chart('pss', 'Proportional memory of the tree (PSS: shared pages once)', 'MiB', (p) =>
        p.pssBytes === null ? null : round(p.pssBytes / (1024 * 1024), 1),
      ),
    );
  }
  // an empty chart says nothing: the rate is drawn only where the runs recorded it
  if (anyRate) charts.push(chart('rate', 'Request rate', 'req/s', (p) => p.reqRate));
  if (timelines.some((tl) => tl.points.some((p) => p.closeWait > 0)))
    charts.push(chart('closewait', 'CLOSE_WAIT sockets of the tree', 'sockets', (p) => p.closeWait));
  return {
    x: grid.map((t) => round(t / 1000)),
    loadEnd: round(Math.max(...timelines.map((tl) => tl.loadMs)) / 1000),
    charts,
  };
}
