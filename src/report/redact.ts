// Credentials never reach a report: one pass over a run's report before anything renders it (json, md, html,
// junit, the step summary, the stdout summary). Known credentials (the reference proxy's, or one an older
// report.json still carries in target.options) are masked wherever they occur, and credential-carrying flags
// of the target's command line whatever their value. Pure.
import type { Report } from '../model/report.js';
import { REDACTED, redactArgv, redactSecrets } from '../util/redact-secrets.js';

function walk(value: unknown, mask: (s: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, mask));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, mask)]));
  }
  return value;
}

/** The report with every credential masked; `credentials`: those known besides the report's own. */
export function redactReport(report: Report, credentials: readonly (string | null | undefined)[] = []): Report {
  const own = report.target.options?.auth;
  const secrets = [...credentials, typeof own === 'string' && own !== REDACTED ? own : null];
  const masked = walk(report, (s) => redactSecrets(s, secrets)) as Report;
  masked.target.command = redactArgv(masked.target.command, secrets);
  if (masked.target.options?.auth) masked.target.options.auth = REDACTED;
  return masked;
}
