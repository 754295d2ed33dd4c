// Small statistics helpers shared by the benchmarks: medians of repeats, percentiles, rounding.

/** Median of the finite values (NaN marks "not measured" and is left out). */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A ratio, or null when either side was not measured. */
export function ratio(measured: number | null | undefined, reference: number | null | undefined): number | null {
  if (measured == null || reference == null || !Number.isFinite(measured) || !Number.isFinite(reference) || reference === 0) return null;
  return round(measured / reference, 3);
}
