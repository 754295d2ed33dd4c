import type { Check } from './check.js';
import { capped, incidentEvidence, plural, withMore } from './evidence.js';
import { incidentsOf } from './load-incidents.js';
import type { LoadOutcome } from '../load/generator.js';

interface GeneratorTally {
  name: string;
  responses: number;
  errors: number;
  timeouts: number;
  unexpected: number;
  bad: number;
  attempts: number;
  allowed: number;
}

function tally(o: LoadOutcome, maxErrorRate: number, maxErrors: number): GeneratorTally {
  const { requests: responses, errors, timeouts } = o.stats;
  const unexpected = o.counts['unexpected-status'] ?? 0;
  const attempts = responses + errors + timeouts;
  return {
    name: o.stats.generator,
    responses,
    errors,
    timeouts,
    unexpected,
    bad: errors + timeouts + unexpected,
    attempts,
    allowed: Math.max(maxErrors, Math.floor(maxErrorRate * attempts)),
  };
}

const detailOf = (g: Omit<GeneratorTally, 'name' | 'responses'>): string =>
  `${plural(g.errors, 'error')}, ${plural(g.timeouts, 'timeout')}, ${g.unexpected} unexpected statuses in ${g.attempts} attempts (budget ${g.allowed})`;

export const errorBudget: Check = {
  id: 'error-budget',
  passesWhen: "errors, timeouts and unexpected statuses of each generator stay within its share of the suite's budget",
  evaluate(run) {
    const { maxErrorRate, maxErrors } = run.tolerances;
    // per generator: a fast flood must not dilute a tunnel generator whose every attempt failed
    // an external load tool whose output handoff could not read (--load-cmd) gave nothing to judge
    const measured = run.load.filter((o) => !(o.stats.extra?.parsed === 0 && o.stats.errors === 0));
    const tallies = measured.map((o) => tally(o, maxErrorRate, maxErrors));
    const sum = (k: 'errors' | 'timeouts' | 'unexpected' | 'attempts' | 'allowed'): number => tallies.reduce((n, g) => n + g[k], 0);
    const total = detailOf({
      errors: sum('errors'),
      timeouts: sum('timeouts'),
      unexpected: sum('unexpected'),
      bad: 0,
      attempts: sum('attempts'),
      allowed: sum('allowed'),
    });
    const wholesale = tallies.filter((g) => g.attempts > 0 && g.responses === 0);
    const over = tallies.filter((g) => g.bad > g.allowed && !wholesale.includes(g));
    const { rows, more } = capped(incidentsOf(run.load, ['error', 'timeout', 'unexpected-status']));
    const evidence = withMore(rows.map(incidentEvidence), more, 'incidents');
    if (measured.length > 0 && tallies.every((g) => g.responses === 0)) {
      return { id: 'error-budget', pass: false, summary: `no response at all: ${total}`, evidence };
    }
    if (wholesale.length === 0 && over.length === 0) {
      return { id: 'error-budget', pass: true, summary: `${total}; each generator within its budget`, evidence: [] };
    }
    const first = (g: GeneratorTally): string =>
      run.load.find((o) => o.stats.generator === g.name)?.incidents[0]?.detail ?? 'no incident recorded';
    const parts = [
      ...wholesale.map((g) => `${g.name} failed wholesale: no answer in ${g.attempts} attempts (first: ${first(g)})`),
      ...over.map((g) => `${g.name} over its budget: ${detailOf(g)}`),
    ];
    const unexpected = over.reduce((n, g) => n + g.unexpected, 0);
    const bad = over.reduce((n, g) => n + g.bad, 0);
    return {
      id: 'error-budget',
      pass: false,
      summary: parts.join('; ') + expectStatusHint(run.target.kind, unexpected, bad, incidentsOf(run.load, ['unexpected-status'])),
      evidence,
    };
  },
};

/**
 * A command target whose failures were mostly one unexpected status, the same in every example: the likeliest
 * cause is how it answers the harness's request paths (a static file server's 404 for /t/<token>), not a failure.
 */
export function expectStatusHint(
  kind: 'reference-proxy' | 'command',
  unexpected: number,
  bad: number,
  examples: { detail: string }[],
): string {
  if (kind !== 'command' || unexpected * 2 < bad) return '';
  // flood and churn examples name the status; a scripted case's ("case garbage: expected …") has its own contract
  const statuses = new Set(examples.flatMap((i) => /^status (\d{3})\b/.exec(i.detail)?.[1] ?? []));
  const [status] = [...statuses];
  if (statuses.size !== 1) return '';
  return `; the unexpected answers were ${status}: if that is how this server answers the harness's paths (/t/<token>), accept it with --expect-status ${status}`;
}
