// Folding two rounds of one generator into one outcome (the load phase runs rounds until the evidence floor is
// met). Pure. Counts add up; latency percentiles of the rounds are averaged by their request counts (the exact
// merge would need every sample), the maximum stays exact.
import type { LatencySummary, LoadStats, ProtocolFinding } from '../../model/report.js';
import { MAX_INCIDENTS, type LoadOutcome } from './generator.js';

function addRecords(a: Record<string, number> = {}, b: Record<string, number> = {}): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function mergeLatency(a: LatencySummary, na: number, b: LatencySummary, nb: number): LatencySummary {
  if (na + nb === 0) return a;
  const w = (x: number, y: number): number => Math.round(((x * na + y * nb) / (na + nb)) * 100) / 100;
  return { p50: w(a.p50, b.p50), p90: w(a.p90, b.p90), p99: w(a.p99, b.p99), max: Math.max(a.max, b.max), mean: w(a.mean, b.mean) };
}

function mergeStats(a: LoadStats, b: LoadStats): LoadStats {
  const merged: LoadStats = {
    generator: a.generator,
    durationMs: a.durationMs + b.durationMs,
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    timeouts: a.timeouts + b.timeouts,
    statuses: addRecords(a.statuses, b.statuses),
    latencyMs: mergeLatency(a.latencyMs, a.requests, b.latencyMs, b.requests),
  };
  if (a.extra || b.extra) merged.extra = addRecords(a.extra, b.extra);
  return merged;
}

function mergeFindings(a: ProtocolFinding[] = [], b: ProtocolFinding[] = []): ProtocolFinding[] {
  const out = a.map((f) => ({ ...f }));
  for (const f of b) {
    const same = out.find((o) => o.case === f.case && o.got === f.got);
    if (same) same.count += f.count;
    else out.push({ ...f });
  }
  return out;
}

export function mergeOutcomes(a: LoadOutcome, b: LoadOutcome): LoadOutcome {
  const counts = { ...a.counts };
  for (const [k, v] of Object.entries(b.counts) as [keyof typeof counts, number][]) counts[k] = (counts[k] ?? 0) + v;
  const protocol = mergeFindings(a.protocol, b.protocol);
  return {
    stats: mergeStats(a.stats, b.stats),
    counts,
    tokensChecked: a.tokensChecked + b.tokensChecked,
    eofChecked: a.eofChecked + b.eofChecked,
    incidents: [...a.incidents, ...b.incidents].slice(0, MAX_INCIDENTS),
    ...(protocol.length ? { protocol } : {}),
  };
}
