// One generator's outcomes folded into one: rounds of the load phase (rounds.ts) and ramp stages (ramp.ts) one
// after another, load threads (threads.ts) side by side. Pure but for decoding histograms. Counts add up; the
// latency percentiles and churn's EOF percentiles come from the added histograms behind them whenever every part
// carries its own (a median of medians is no median), else from the summaries: weighted by requests, or the
// worst part's (ramp, conservative); a maximum is always exact.
import type { LatencySummary, LoadStats, ProtocolFinding } from '../../model/report.js';
import { type IncidentKind, type LoadOutcome, MAX_INCIDENTS } from './generator.js';
import { type EncodedLatency, mergeEncoded } from './histogram.js';

export interface MergeHow {
  /** side by side (threads): the duration is the longest part's, connections add up; else one after another */
  parallel?: boolean;
  /** percentiles without histograms: weighted by requests (default) or the worst part's */
  fallback?: 'weighted' | 'worst';
}

/** extras that describe the configuration, not a count: kept (the largest), never added */
const SETTINGS = new Set(['bytesPerTunnel', 'threads', 'peakConnections']);
/** extras read off the EOF histogram when every part has one */
const EOF_KEYS = { eofP50Ms: 'p50', eofMaxMs: 'max' } as const;

const round2 = (x: number): number => Math.round(x * 100) / 100;

function addRecords(parts: (Record<string, number> | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of parts) for (const [k, v] of Object.entries(r ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** what the summaries alone can say: a weighted (or worst) percentile, the exact maximum */
function summaryMerge(parts: { s: LatencySummary; n: number }[], fallback: MergeHow['fallback']): LatencySummary {
  const total = parts.reduce((a, p) => a + p.n, 0);
  const max = Math.max(0, ...parts.map((p) => p.s.max));
  const mean = total ? round2(parts.reduce((a, p) => a + p.s.mean * p.n, 0) / total) : 0;
  const pick = (k: 'p50' | 'p90' | 'p99'): number =>
    fallback === 'worst'
      ? Math.max(0, ...parts.map((p) => p.s[k]))
      : total
        ? round2(parts.reduce((a, p) => a + p.s[k] * p.n, 0) / total)
        : (parts[0]?.s[k] ?? 0);
  return { p50: pick('p50'), p90: pick('p90'), p99: pick('p99'), max, mean };
}

/** the parts' histograms of one kind, added; null unless every part has one of the same kind */
function exactOf(hs: (EncodedLatency | undefined)[]): { summary: LatencySummary; hist: EncodedLatency } | null {
  if (!hs.every((h) => h !== undefined)) return null;
  const m = mergeEncoded(hs as EncodedLatency[]);
  return m ? { summary: m.summary, hist: m.encoded } : null;
}

function mergeExtra(outcomes: LoadOutcome[], how: MergeHow, eof: LatencySummary | null): Record<string, number> | undefined {
  if (!outcomes.some((o) => o.stats.extra)) return undefined;
  const extras = outcomes.map((o) => o.stats.extra ?? {});
  const out = addRecords(extras);
  const largest = (k: string): number => Math.max(0, ...extras.map((e) => e[k] ?? 0));
  for (const k of Object.keys(out)) {
    if (SETTINGS.has(k) || (k === 'connections' && !how.parallel) || k.endsWith('MaxMs')) out[k] = largest(k);
    else if (k.endsWith('Ms')) {
      // a percentile of the summaries alone: weighted by what each part measured it over
      const n = outcomes.map((o) => o.eofChecked || o.stats.requests);
      const total = n.reduce((a, b) => a + b, 0);
      out[k] = total ? round2(extras.reduce((a, e, i) => a + (e[k] ?? 0) * n[i]!, 0) / total) : largest(k);
    }
  }
  if (eof) for (const [k, p] of Object.entries(EOF_KEYS)) if (k in out) out[k] = eof[p];
  return out;
}

function mergeFindings(parts: (ProtocolFinding[] | undefined)[]): ProtocolFinding[] {
  const out: ProtocolFinding[] = [];
  for (const f of parts.flatMap((p) => p ?? [])) {
    const same = out.find((o) => o.case === f.case && o.got === f.got);
    if (same) same.count += f.count;
    else out.push({ ...f });
  }
  return out;
}

/** The outcomes of one generator as one outcome (see the header); none: an empty outcome named `name`. */
export function mergeOutcomes(outcomes: LoadOutcome[], how: MergeHow = {}, name = outcomes[0]?.stats.generator ?? ''): LoadOutcome {
  const sum = (f: (o: LoadOutcome) => number): number => outcomes.reduce((a, o) => a + f(o), 0);
  const latency = exactOf(outcomes.map((o) => o.histograms?.latency));
  const eof = exactOf(outcomes.map((o) => o.histograms?.eof));
  const stats: LoadStats = {
    generator: name,
    durationMs: how.parallel ? Math.max(0, ...outcomes.map((o) => o.stats.durationMs)) : sum((o) => o.stats.durationMs),
    requests: sum((o) => o.stats.requests),
    errors: sum((o) => o.stats.errors),
    timeouts: sum((o) => o.stats.timeouts),
    statuses: addRecords(outcomes.map((o) => o.stats.statuses)),
    latencyMs:
      latency?.summary ??
      summaryMerge(
        outcomes.map((o) => ({ s: o.stats.latencyMs, n: o.stats.requests })),
        how.fallback,
      ),
  };
  const extra = mergeExtra(outcomes, how, eof?.summary ?? null);
  if (extra) stats.extra = extra;
  const protocol = mergeFindings(outcomes.map((o) => o.protocol));
  const histograms = { ...(latency ? { latency: latency.hist } : {}), ...(eof ? { eof: eof.hist } : {}) };
  return {
    stats,
    counts: addRecords(outcomes.map((o) => o.counts)) as Partial<Record<IncidentKind, number>>,
    tokensChecked: sum((o) => o.tokensChecked),
    eofChecked: sum((o) => o.eofChecked),
    incidents: outcomes.flatMap((o) => o.incidents).slice(0, MAX_INCIDENTS),
    ...(protocol.length ? { protocol } : {}),
    ...(latency || eof ? { histograms } : {}),
  };
}
