import type { Check } from './check.js';
import { capped, incidentEvidence, plural, withMore } from './evidence.js';
import { countOf, incidentsOf } from './load-incidents.js';

const KINDS = ['wrong-token', 'missing-token', 'malformed'] as const;

export const responsesCorrect: Check = {
  id: 'responses-correct',
  passesWhen: "every successful response carried its own request's token (no cross-talk) and was well-formed HTTP",
  evaluate(run) {
    const checked = run.load.reduce((s, o) => s + o.tokensChecked, 0);
    const bad = countOf(run.load, [...KINDS]);
    const wrong = countOf(run.load, ['wrong-token']);
    const { rows, more } = capped(incidentsOf(run.load, [...KINDS]));
    if (bad > 0) {
      return {
        id: 'responses-correct',
        pass: false,
        summary: `${plural(bad, 'bad response')} (${wrong} carried another request's token) of ${checked} checked`,
        evidence: withMore(rows.map(incidentEvidence), more, 'responses'),
      };
    }
    return {
      id: 'responses-correct',
      pass: true,
      summary:
        checked > 0
          ? `${checked} responses carried their own token`
          : run.load.some((o) => o.stats.requests > 0)
            ? 'tokens not checked (server mode without --echo)'
            : 'no successful response to check',
      evidence: [],
    };
  },
};
