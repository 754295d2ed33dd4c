// Allow-list entries that would waive a run's failing checks (`handoff allowlist --from <run dir>`): the way a
// legacy server adopts the gate in one step and owes a fix by a date. Each piece of evidence the gate must cover
// becomes an anchored pattern of its match text in which what changes from run to run (pids, ports, fd numbers,
// inodes, times, the run's random tag) is generalized, so the same leak matches again and a new kind of leak does
// not. Pure.
import type { CheckId, Report } from '../model/report.js';
import { evidenceMatchText } from '../report/text.js';
import { itemsToCover } from './allow-list.js';

/** An entry as written in handoff.config.json. */
export interface AllowEntryText {
  check: CheckId;
  match: string;
  reason: string;
  expires: string;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The pattern for one evidence text: escaped, then every run of digits (pids, ports, fds, inodes, ms) becomes
 * `\d+`, and every hex-looking word with a digit and a letter (a run's random tag) `[0-9a-f]+`.
 */
export function generalize(text: string): string {
  const parts = text.split(/(\b[0-9a-f]*(?:\d[a-f]|[a-f]\d)[0-9a-f]*\b|\d+)/);
  const body = parts.map((p, i) => (i % 2 === 0 ? escapeRegex(p) : /^\d+$/.test(p) ? '\\d+' : '[0-9a-f]+')).join('');
  return `^${body}$`;
}

/** One entry per distinct pattern of each failing, unwaived check, in the report's order. */
export function allowEntriesFor(report: Report, entry: { reason: string; expires: string }): AllowEntryText[] {
  const out: AllowEntryText[] = [];
  for (const check of report.checks) {
    if (check.pass || check.allowedBy) continue;
    const seen = new Set<string>();
    for (const item of itemsToCover(check)) {
      const match = generalize(evidenceMatchText(item));
      if (seen.has(match)) continue;
      seen.add(match);
      out.push({ check: check.id, match, reason: entry.reason, expires: entry.expires });
    }
  }
  return out;
}

/** `entries` added to a config's allowList, those it already has (same check and match) left out. */
export function mergeAllowList(
  config: Record<string, unknown>,
  entries: AllowEntryText[],
): { config: Record<string, unknown>; added: number } {
  const existing = Array.isArray(config.allowList) ? (config.allowList as Record<string, unknown>[]) : [];
  const has = (e: AllowEntryText): boolean => existing.some((x) => x.check === e.check && x.match === e.match);
  const fresh = entries.filter((e) => !has(e));
  return { config: { ...config, allowList: [...existing, ...fresh] }, added: fresh.length };
}
