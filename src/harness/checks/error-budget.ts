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
    if (bad <= allowed) return { id: 'error-budget', pass: true, summary: detail, evidence: [] };
    return { id: 'error-budget', pass: false, summary: detail + expectStatusHint(run.target.kind, unexpected, bad, incidentsOf(run.load, ['unexpected-status'])), evidence };
  },
};

/**
 * A command target whose failures were mostly one unexpected status, the same in every example: the likeliest
 * cause is how it answers the harness's request paths (a static file server's 404 for /t/<token>), not a failure.
 */
export function expectStatusHint(kind: 'reference-proxy' | 'command', unexpected: number, bad: number, examples: { detail: string }[]): string {
  if (kind !== 'command' || unexpected * 2 < bad) return '';
  // flood and churn examples name the status; a scripted case's ("case garbage: expected …") has its own contract
  const statuses = new Set(examples.flatMap((i) => /^status (\d{3})\b/.exec(i.detail)?.[1] ?? []));
  const [status] = [...statuses];
  if (statuses.size !== 1) return '';
  return `; the unexpected answers were ${status}: if that is how this server answers the harness's paths (/t/<token>), accept it with --expect-status ${status}`;
}
