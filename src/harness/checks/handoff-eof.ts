import type { Check } from './check.js';
import { capped, incidentEvidence, plural, withMore } from './evidence.js';
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
        summary: `${plural(missing, 'connection')} of ${checked} never saw EOF after the response`,
        evidence: withMore(rows.map(incidentEvidence), more, 'connections'),
      };
    }
    return {
      id: 'handoff-eof',
      pass: true,
      summary: checked > 0 ? `${checked} connections saw EOF after their response` : 'no connection completed a response to wait for EOF on',
      evidence: [],
    };
  },
};
