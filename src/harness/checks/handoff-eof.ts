import type { LoadOutcome } from '../load/generator.js';
import type { Check } from './check.js';
import { capped, incidentEvidence, plural, socketEvidence, withMore } from './evidence.js';
import { countOf, incidentsOf } from './load-incidents.js';

export const handoffEof: Check = {
  id: 'handoff-eof',
  passesWhen: 'every churn connection saw EOF promptly after its complete response (nobody else still holds the socket)',
  evaluate(run) {
    const checked = run.load.reduce((s, o) => s + o.eofChecked, 0);
    const missing = countOf(run.load, ['no-eof']);
    if (missing > 0) {
      const { rows, more } = capped(incidentsOf(run.load, ['no-eof']));
      return {
        id: 'handoff-eof',
        pass: false,
        summary: `${plural(missing, 'connection')} of ${checked} never saw EOF after the response${heldBy(run.load, run.target.rootPid)}`,
        // each connection, then who still held it open when the client gave up (looked up for the first few)
        evidence: withMore(
          rows.flatMap((i) => [
            incidentEvidence(i),
            // seen by the lookup at the incident at the latest, whatever the sampler saw
            ...(i.holders ?? []).map((s) =>
              socketEvidence(s, (key) => earliest(run.firstSeen(key), i.atMs), `still holds connection ${i.id} open`),
            ),
          ]),
          more,
          'connections',
        ),
      };
    }
    return {
      id: 'handoff-eof',
      pass: true,
      summary:
        checked > 0 ? `${checked} connections saw EOF after their response` : 'no connection completed a response to wait for EOF on',
      evidence: [],
    };
  },
};

/**
 * "; still held open by pid 12 (the target's root), pid 40", from the holders looked up, the root first (a forking
 * parent that leaks its copy also leaks it into every child it forks later); empty when none were found.
 */
function heldBy(load: LoadOutcome[], rootPid: number): string {
  const found = new Set(incidentsOf(load, ['no-eof']).flatMap((i) => (i.holders ?? []).map((s) => s.pid)));
  const pids = [...found].sort((a, b) => Number(b === rootPid) - Number(a === rootPid));
  if (pids.length === 0) return '';
  return `; still held open by ${pids.map((p) => (p === rootPid ? `pid ${p} (the target's root)` : `pid ${p}`)).join(', ')}`;
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
