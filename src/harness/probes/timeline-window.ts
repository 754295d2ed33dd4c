// A timeline of bounded size for runs of any length: the recent window at full rate, everything older folded into
// buckets that keep each field's minimum and maximum (two points a bucket), so a spike is never averaged away and
// an hour's soak writes a report that is still quick to open. Pure: points in, points out.
import type { TimelinePoint } from '../../model/report.js';

export interface TimelineLimits {
  /** the most points kept in all */
  maxPoints: number;
  /** the recent span kept at full rate (shrunk if it alone would exceed half the points) */
  recentMs: number;
}

export const TIMELINE_LIMITS: TimelineLimits = { maxPoints: 4000, recentMs: 120_000 };

type Pick2 = (a: number, b: number) => number;

function foldPoint(a: TimelinePoint, b: TimelinePoint, pick: Pick2): TimelinePoint {
  const sockets: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a.sockets), ...Object.keys(b.sockets)])) sockets[k] = pick(a.sockets[k] ?? 0, b.sockets[k] ?? 0);
  const opt = (x: number | null | undefined, y: number | null | undefined): number | null | undefined =>
    typeof x === 'number' && typeof y === 'number' ? pick(x, y) : (x ?? y);
  const point: TimelinePoint = {
    t: a.t,
    children: pick(a.children, b.children),
    zombies: pick(a.zombies, b.zombies),
    orphans: pick(a.orphans, b.orphans),
    fds: pick(a.fds, b.fds),
    fdsByKind: {
      socket: pick(a.fdsByKind.socket, b.fdsByKind.socket),
      pipe: pick(a.fdsByKind.pipe, b.fdsByKind.pipe),
      file: pick(a.fdsByKind.file, b.fdsByKind.file),
      other: pick(a.fdsByKind.other, b.fdsByKind.other),
    },
    sockets,
    rssBytes: pick(a.rssBytes, b.rssBytes),
    cpuPct: pick(a.cpuPct, b.cpuPct),
  };
  const pss = opt(a.pssBytes, b.pssBytes);
  if (pss !== undefined) point.pssBytes = pss;
  const rate = opt(a.reqRate, b.reqRate);
  if (rate !== undefined && rate !== null) point.reqRate = rate;
  return point;
}

/** Folds `points` (one bucket) into its minimum and its maximum point, at the bucket's first and middle time. */
function bucketEnvelope(points: TimelinePoint[], start: number, width: number): TimelinePoint[] {
  const min = points.reduce((acc, p) => foldPoint(acc, p, Math.min));
  const max = points.reduce((acc, p) => foldPoint(acc, p, Math.max));
  return [
    { ...min, t: start, bucketMs: width },
    { ...max, t: start + width / 2, bucketMs: width },
  ];
}

/**
 * `points` (in time order) within `limits`: unchanged when they fit; else the points older than the recent window
 * folded into equal buckets (min and max of each field), as many as the rest of the budget allows.
 */
export function compactTimeline(points: readonly TimelinePoint[], limits: TimelineLimits = TIMELINE_LIMITS): TimelinePoint[] {
  if (points.length <= limits.maxPoints || points.length === 0) return [...points];
  const last = points[points.length - 1].t;
  let cut = points.findIndex((p) => p.t >= last - limits.recentMs);
  // the recent window takes at most half the budget
  cut = Math.max(cut, points.length - Math.floor(limits.maxPoints / 2));
  const old = points.slice(0, cut);
  const recent = points.slice(cut);
  const buckets = Math.max(1, Math.floor((limits.maxPoints - recent.length) / 2));
  const from = old[0].t;
  const span = Math.max(1, (recent[0]?.t ?? last) - from);
  const width = Math.ceil(span / buckets);
  const out: TimelinePoint[] = [];
  let group: TimelinePoint[] = [];
  let groupStart = from;
  for (const p of old) {
    const start = from + Math.floor((p.t - from) / width) * width;
    if (group.length && start !== groupStart) {
      out.push(...bucketEnvelope(group, groupStart, width));
      group = [];
    }
    groupStart = start;
    group.push(p);
  }
  if (group.length) out.push(...bucketEnvelope(group, groupStart, width));
  return [...out, ...recent];
}
