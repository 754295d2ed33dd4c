// Latencies in bounded memory: the recorder's percentiles agree with the exact ones to three significant digits,
// and a million samples cost no more memory than a thousand.
import t from 'tap';
import { LatencyRecorder } from '../../src/harness/load/generator.js';

t.test('percentiles, max and mean within 0.1 % of the exact values; none recorded: zeros', async (t) => {
  t.same(new LatencyRecorder().summary(), { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  const r = new LatencyRecorder();
  const values = Array.from({ length: 10_000 }, (_, i) => 0.5 + (i % 1000) * 0.37); // 0.5 … 370 ms
  for (const v of values) r.record(v);
  const sorted = [...values].sort((a, b) => a - b);
  const exact = {
    p50: sorted[5_000],
    p90: sorted[9_000],
    p99: sorted[9_900],
    max: sorted.at(-1)!,
    mean: values.reduce((a, b) => a + b) / values.length,
  };
  const got = r.summary();
  for (const k of ['p50', 'p90', 'p99', 'max', 'mean'] as const) {
    t.ok(Math.abs(got[k] - exact[k]) <= exact[k] * 0.002 + 0.01, `${k}: ${got[k]} ≈ ${exact[k].toFixed(2)}`);
  }
  t.equal(r.count, 10_000);
});

t.test('a latency longer than an hour counts as an hour instead of throwing; a million samples stay small', async (t) => {
  const r = new LatencyRecorder();
  r.record(10 * 3_600_000);
  t.equal(r.summary().max, 3_600_000);
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) r.record((i % 5000) / 10);
  t.equal(r.count, 1_000_001);
  t.ok(process.memoryUsage().heapUsed - before < 8 * 1024 * 1024, 'well under the 8 MB a million numbers would take as an array');
});

t.test('encoded histograms merge exactly: the same summary as one recorder of every sample', async (t) => {
  const { mergeEncoded } = await import('../../src/harness/load/histogram.js');
  const all = new LatencyRecorder();
  const parts = [new LatencyRecorder(), new LatencyRecorder(), new LatencyRecorder()];
  for (let i = 0; i < 3000; i++) {
    const v = i % 7 === 0 ? 250 + i / 10 : 0.2 + (i % 50) / 10;
    all.record(v);
    parts[i % 3]!.record(v);
  }
  const m = mergeEncoded(parts.map((p) => p.encode()));
  t.same(m?.summary, all.summary());
  t.same(m?.encoded, all.encode(), 'and the merged histogram is the one of every sample');
  const structured = structuredClone(parts[0]!.encode());
  t.same(structured, parts[0]!.encode(), 'plain data: it crosses to another thread as it is');
  t.equal(mergeEncoded([all.encode(), { kind: 'hdr', hist: '', perMs: 1 }]), null, 'kinds that differ do not merge');
});
