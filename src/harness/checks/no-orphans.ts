import type { Check } from './check.js';
import { capped, processEvidence, plural, withMore } from './evidence.js';
import { processKey, type ProcessSnapshot } from '../probes/types.js';

export const noOrphans: Check = {
  id: 'no-orphans',
  passesWhen:
    "no process of the target's (carrying the run's marker, or reparented to the harness) lives outside its tree, during the run or after shutdown",
  evaluate(run) {
    const found = new Map<string, { p: ProcessSnapshot; when: string }>();
    // A zombie (state Z) has exited: it no longer lives, it waits for whoever adopted it to reap it — in a
    // container whose PID 1 reaps slowly, a clean server's children that finished after their parent did.
    const alive = (p: ProcessSnapshot): boolean => p.state !== 'Z';
    for (const p of run.orphansDuringRun.filter(alive)) found.set(processKey(p), { p, when: 'outside the tree during the run' });
    for (const p of run.orphansAfterShutdown.filter(alive)) {
      const k = processKey(p);
      found.set(k, { p, when: found.has(k) ? 'outside the tree during the run and still alive after shutdown' : 'alive after shutdown' });
    }
    if (found.size === 0) {
      // without adoption, a descendant that dropped the marker (an empty environment) could not have been seen
      const how = run.target.adoptsOrphans ? '' : ' (by the run marker only: no subreaper)';
      return { id: 'no-orphans', pass: true, summary: `no orphan outside the tree, during the run or after shutdown${how}`, evidence: [] };
    }
    const after = run.orphansAfterShutdown.filter(alive).length;
    const { rows, more } = capped([...found.values()]);
    return {
      id: 'no-orphans',
      pass: false,
      summary: `${plural(found.size, 'orphan')} of the target outside its tree (${after} alive after shutdown)`,
      evidence: withMore(
        rows.map(({ p, when }) => processEvidence(p, run.firstSeen, when)),
        more,
        'orphans',
      ),
    };
  },
};
