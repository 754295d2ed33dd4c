import type { Check } from './check.js';
import { capped, processEvidence, withMore } from './evidence.js';
import { processKey } from '../probes/types.js';

export const childrenDrained: Check = {
  id: 'children-drained',
  passesWhen: "after drain, live descendants ≤ baseline (or the strategy's declared resident pool)",
  evaluate(run) {
    const live = (s: typeof run.baseline) => s.tree.filter((p) => p.depth >= 1 && p.state !== 'Z');
    const baseline = live(run.baseline);
    const after = live(run.afterDrain);
    const allowed = Math.max(run.baselineChildren, run.target.pool?.resident ?? 0);
    const detail = `${after.length} live descendants after drain, allowed ${allowed} (baseline ${run.baselineChildren}, resident pool ${run.target.pool?.resident ?? 0})`;
    if (after.length <= allowed) return { id: 'children-drained', pass: true, summary: detail, evidence: [] };
    // the newest are the excess: a legitimate pool was there from the start
    const baseKeys = new Set(baseline.map(processKey));
    const suspects = after
      .filter((p) => !baseKeys.has(processKey(p)))
      .sort((a, b) => (run.firstSeen(processKey(b)) ?? 0) - (run.firstSeen(processKey(a)) ?? 0));
    const { rows, more } = capped(suspects.length > 0 ? suspects : after);
    return {
      id: 'children-drained',
      pass: false,
      summary: detail,
      evidence: withMore(
        rows.map((p) => processEvidence(p, run.firstSeen, 'still alive after drain')),
        more,
        'processes',
      ),
    };
  },
};
