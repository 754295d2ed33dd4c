// GitHub Actions workflow commands for a finished run: one `::error` per failing check, threshold and expired
// allow-list entry (what fails the run), one `::warning` per allow-list entry that expires soon, so the CI's own
// views (the run's annotations, the PR's checks) say what the step log says. Pure: report and clock in, lines out.
import type { Report } from '../model/report.js';
import { parseExpiry } from '../gate/allow-list.js';

/** an allow-list entry this close to its expiry gets a warning (it will fail the run once expired) */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

/** The message part of a workflow command (GitHub's toolkit escapeData): `%`, CR and LF. */
export const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** A property value (toolkit escapeProperty): the message's escapes plus `:` and `,`, which end a property. */
export const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function workflowCommand(kind: 'error' | 'warning' | 'notice', message: string, props: Record<string, string> = {}): string {
  const p = Object.entries(props)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${kind}${p ? ` ${p}` : ''}::${escapeData(message)}`;
}

/** Whether this process runs as a GitHub Actions step (the runner sets GITHUB_ACTIONS=true). */
export const onGitHubActions = (env: NodeJS.ProcessEnv = process.env): boolean => env.GITHUB_ACTIONS === 'true';

export function annotations(report: Report, now: Date = new Date()): string[] {
  const lines: string[] = [];
  const where = `${report.suite}${report.strategy ? `, ${report.strategy}` : ''}`;
  for (const c of report.checks) {
    if (c.pass || c.allowedBy) continue;
    lines.push(workflowCommand('error', `${c.id} failed: ${c.summary} (report ${report.runId})`, { title: `handoff ${c.id} (${where})` }));
  }
  for (const t of report.thresholds ?? []) {
    if (t.pass) continue;
    lines.push(
      workflowCommand('error', `threshold ${t.metric} ${t.expr} failed: ${t.value === null ? 'no data' : `value ${t.value}`}`, {
        title: `handoff threshold ${t.metric}`,
      }),
    );
  }
  for (const [i, s] of (report.allowList ?? []).entries()) {
    const what = `allow-list entry #${i + 1} (check ${s.check}, match ${JSON.stringify(s.match)}, reason ${JSON.stringify(s.reason)})`;
    if (s.expired) {
      lines.push(
        workflowCommand('error', `${what} expired on ${s.expires}: fix the leak or renew the entry`, {
          title: 'handoff allow-list entry expired',
        }),
      );
      continue;
    }
    let endsAt: number;
    try {
      endsAt = parseExpiry(s.expires, 'allowList');
    } catch {
      continue; // a report edited by hand: nothing to warn about that the gate did not already say
    }
    const left = endsAt - now.getTime();
    if (left <= EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.max(0, Math.floor(left / DAY_MS)); // whole days left before the last valid one ends
      lines.push(
        workflowCommand('warning', `${what} expires on ${s.expires} (in ${days} day${days === 1 ? '' : 's'}): the run fails from then on`, {
          title: 'handoff allow-list entry expires soon',
        }),
      );
    }
  }
  return lines;
}
