import type { Check } from './check.js';
import { capped, processEvidence, withMore } from './evidence.js';

export const maxChildren: Check = {
  id: 'max-children',
  passesWhen: 'peak live children never exceeded the declared cap',
  evaluate(run) {
    const peak = run.peaks.children;
    const cap = run.target.pool?.cap ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(cap))
      return { id: 'max-children', pass: true, summary: `peak ${peak} live children (no cap declared)`, evidence: [] };
    if (peak <= cap) return { id: 'max-children', pass: true, summary: `peak ${peak} live children, cap ${cap}`, evidence: [] };
    const at = run.peaks.childrenAt;
    const children = (run.maxChildrenSample?.tree ?? []).filter((p) => p.depth >= 1 && p.state !== 'Z');
    const { rows, more } = capped(children);
    return {
      id: 'max-children',
      pass: false,
      summary: `peak ${peak} live children exceeded the cap ${cap}${at === null ? '' : ` at ${Math.round(at)} ms`}`,
      evidence: withMore(
        rows.map((p) => processEvidence(p, run.firstSeen, `alive at the peak`)),
        more,
        'children',
      ),
    };
  },
};
