// Latencies in bounded memory, mergeable exactly: a log-linear histogram of whole microseconds (exact below 2048 µs,
// then 1024 buckets per power of two: within 0.1 %, HDR's three significant digits), its count, sum and max kept
// exact. Our own rather than hdr-histogram-js: that one costs ~100 ms of CPU to load, and every load thread loaded it
// before its first connection. autocannon's histograms (flood) stay HDR: they merge through hdr, loaded only then.
import { createRequire } from 'node:module';
import type { LatencySummary } from '../../model/report.js';

/** an hour, in µs: the longest latency told apart (longer ones count as an hour) */
const MAX_TRACKED_US = 3_600_000_000;
const SUB = 1024;
/** buckets: 2·SUB exact ones, then SUB for each power of two up to MAX_TRACKED_US (< 2^32) */
const BUCKETS = 2 * SUB + (32 - 11) * SUB;

const indexOf = (us: number): number => {
  if (us < 2 * SUB) return us;
  const e = 31 - Math.clz32(us) - 10;
  return 2 * SUB + (e - 1) * SUB + ((us >>> e) - SUB);
};

/** the middle of a bucket, in µs */
const bucketValue = (i: number): number => {
  if (i < 2 * SUB) return i;
  const e = Math.floor((i - 2 * SUB) / SUB) + 1;
  const low = ((i - 2 * SUB) % SUB) + SUB;
  return low * 2 ** e + (2 ** e - 1) / 2;
};

/** A histogram as an outcome carries it (and a thread sends it): plain data. */
export type EncodedLatency =
  /** ours: [bucket, count, bucket, count, …], and the exact count, sum and max, in µs */
  | { kind: 'log'; buckets: number[]; count: number; sumUs: number; maxUs: number }
  /** autocannon's (flood): hdr's compressed base64, in units of 1/perMs ms */
  | { kind: 'hdr'; hist: string; perMs: number };

const ms = (us: number): number => Math.round(us / 10) / 100;

export class LatencyRecorder {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sumUs = 0;
  private maxUs = 0;

  record(latencyMs: number): void {
    const us = Math.min(MAX_TRACKED_US, Math.max(1, Math.round(latencyMs * 1000)));
    this.counts[indexOf(us)]++;
    this.total++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  get count(): number {
    return this.total;
  }

  /** adds an encoded histogram of ours (a thread's, a round's) into this one */
  add(e: Extract<EncodedLatency, { kind: 'log' }>): void {
    for (let k = 0; k < e.buckets.length; k += 2) this.counts[e.buckets[k] ?? 0] += e.buckets[k + 1] ?? 0;
    this.total += e.count;
    this.sumUs += e.sumUs;
    this.maxUs = Math.max(this.maxUs, e.maxUs);
  }

  encode(): Extract<EncodedLatency, { kind: 'log' }> {
    const buckets: number[] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push(i, this.counts[i] ?? 0);
    return { kind: 'log', buckets, count: this.total, sumUs: this.sumUs, maxUs: this.maxUs };
  }

  /** p50/p90/p99/max/mean in ms, two decimals; a percentile is its bucket's middle, never past the max */
  summary(): LatencySummary {
    if (this.total === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    const at = (p: number): number => {
      const rank = Math.max(1, Math.ceil((p / 100) * this.total));
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        seen += this.counts[i] ?? 0;
        if (seen >= rank) return ms(Math.min(this.maxUs, bucketValue(i)));
      }
      return ms(this.maxUs);
    };
    return { p50: at(50), p90: at(90), p99: at(99), max: ms(this.maxUs), mean: ms(this.sumUs / this.total) };
  }
}

type Hdr = typeof import('hdr-histogram-js');
let hdrModule: Hdr | null = null;
/** hdr-histogram-js, loaded the first time an HDR histogram is to be read (flood has loaded it with autocannon) */
const hdr = (): Hdr => {
  hdrModule ??= createRequire(import.meta.url)('hdr-histogram-js') as Hdr;
  return hdrModule;
};

/** Histograms of one kind added into one, exact: its summary and itself; null when their kinds differ. */
export function mergeEncoded(list: EncodedLatency[]): { summary: LatencySummary; encoded: EncodedLatency } | null {
  const [first] = list;
  if (!first) return null;
  if (first.kind === 'log') {
    if (!list.every((e) => e.kind === 'log')) return null;
    const r = new LatencyRecorder();
    for (const e of list) r.add(e as Extract<EncodedLatency, { kind: 'log' }>);
    return { summary: r.summary(), encoded: r.encode() };
  }
  const perMs = first.perMs;
  if (!list.every((e) => e.kind === 'hdr' && e.perMs === perMs)) return null;
  const h = hdr();
  const all = list.map((e) => h.decodeFromCompressedBase64((e as Extract<EncodedLatency, { kind: 'hdr' }>).hist));
  const [sum, ...rest] = all as [ReturnType<Hdr['decodeFromCompressedBase64']>, ...ReturnType<Hdr['decodeFromCompressedBase64']>[]];
  for (const x of rest) sum.add(x);
  const v = (x: number): number => Math.round((x / perMs) * 100) / 100;
  const summary =
    sum.totalCount === 0
      ? { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }
      : {
          p50: v(sum.getValueAtPercentile(50)),
          p90: v(sum.getValueAtPercentile(90)),
          p99: v(sum.getValueAtPercentile(99)),
          max: v(sum.maxValue),
          mean: v(sum.mean),
        };
  const encoded: EncodedLatency = list.length === 1 ? first : { kind: 'hdr', hist: h.encodeIntoCompressedBase64(sum), perMs };
  for (const x of all) x.destroy();
  return { summary, encoded };
}
