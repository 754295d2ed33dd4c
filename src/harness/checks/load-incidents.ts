// Sums over the load generators' outcomes, shared by the load-based checks.
import type { IncidentKind, Incident, LoadOutcome } from '../load/generator.js';

export function countOf(load: LoadOutcome[], kinds: IncidentKind[]): number {
  return load.reduce((sum, o) => sum + kinds.reduce((s, k) => s + (o.counts[k] ?? 0), 0), 0);
}

export function incidentsOf(load: LoadOutcome[], kinds: IncidentKind[]): Incident[] {
  return load.flatMap((o) => o.incidents.filter((i) => kinds.includes(i.kind)));
}
