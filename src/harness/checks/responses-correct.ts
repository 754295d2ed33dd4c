import type { Check } from './check.js';
import { capped, incidentEvidence, plural, withMore } from './evidence.js';
import { countOf, incidentsOf } from './load-incidents.js';

const KINDS = ['wrong-token', 'missing-token', 'malformed'] as const;

export const responsesCorrect: Check = {
  id: 'responses-correct',
  passesWhen: "every successful response carried its own request's token (no cross-talk) and was well-formed HTTP",
  evaluate(run) {
    const checked = run.load.reduce((s, o) => s + o.tokensChecked, 0);
    const requests = run.load.reduce((s, o) => s + o.stats.requests, 0);
    const refused = countOf(run.load, ['unexpected-status', 'error', 'timeout']);
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
      // no cross-talk was seen, but say so only of what was looked at: with nothing checked the pass claims nothing
      summary:
        checked > 0
          ? `${checked} responses carried their own token`
          : requests === 0
            ? 'nothing checked: no request was answered'
            : refused >= requests
              ? `nothing checked: none of ${plural(requests, 'request')} got a successful answer (the error budget judges them)`
              : 'nothing checked: tokens are not compared (server mode without --echo)',
      evidence: [],
    };
  },
};
