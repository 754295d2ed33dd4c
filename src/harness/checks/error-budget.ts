import type { Check } from './check.js';
import { capped, incidentEvidence, plural, withMore } from './evidence.js';
import { countOf, incidentsOf } from './load-incidents.js';

export const errorBudget: Check = {
  id: 'error-budget',
  passesWhen: "errors, timeouts and unexpected statuses stay within the suite's budget",
  evaluate(run) {
    const responses = run.load.reduce((s, o) => s + o.stats.requests, 0);
    const errors = run.load.reduce((s, o) => s + o.stats.errors, 0);
    const timeouts = run.load.reduce((s, o) => s + o.stats.timeouts, 0);
    const unexpected = countOf(run.load, ['unexpected-status']);
    const bad = errors + timeouts + unexpected;
    const attempts = responses + errors + timeouts;
    const { maxErrorRate, maxErrors } = run.tolerances;
    const allowed = Math.max(maxErrors, Math.floor(maxErrorRate * attempts));
    const { rows, more } = capped(incidentsOf(run.load, ['error', 'timeout', 'unexpected-status']));
    const evidence = withMore(rows.map(incidentEvidence), more, 'incidents');
    const detail = `${plural(errors, 'error')}, ${plural(timeouts, 'timeout')}, ${unexpected} unexpected statuses in ${attempts} attempts (budget ${allowed})`;
    if (run.load.length > 0 && responses === 0) {
      return { id: 'error-budget', pass: false, summary: `no response at all: ${detail}`, evidence };
    }
    return { id: 'error-budget', pass: bad <= allowed, summary: detail, evidence: bad <= allowed ? [] : evidence };
  },
};
