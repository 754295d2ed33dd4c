// An expiring allow-list of known leaks, for adopting the gate on a legacy server:
//   { "check": "no-zombies", "match": "legacy-worker", "reason": "JIRA-123: reaper fix pending", "expires": "2026-12-31" }
// A failing check is waived only when EVERY piece of its evidence is matched by an active entry for
// that check (a new leak next to a known one still fails). An entry is active through its expiry
// date (UTC, end of that day; or the exact instant for a full ISO timestamp). An expired entry waives
// nothing and fails the run by itself, so known leaks cannot be forgotten.
import { UsageError } from '../util/errors.js';
import { CHECK_IDS, type AllowListStatus, type CheckId, type CheckResult, type Evidence } from '../model/report.js';
import { evidenceMatchText } from '../report/text.js';

export interface AllowEntry {
  check: CheckId;
  /** regular expression (JavaScript syntax, unanchored) tested against each evidence item's text */
  match: string;
  reason: string;
  /** as written: YYYY-MM-DD or a full ISO 8601 timestamp */
  expires: string;
  regex: RegExp;
  /** epoch ms after which the entry is expired */
  expiresAtMs: number;
}

const ENTRY_KEYS = ['check', 'match', 'reason', 'expires'];
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The instant an expiry string stops being valid; throws UsageError on anything but a real date. */
export function parseExpiry(text: string, where: string): number {
  const d = DATE_ONLY.exec(text);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const start = Date.UTC(y, m - 1, day);
    const check = new Date(start);
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== day) {
      throw new UsageError(`${where}.expires: "${text}" is not a real date`);
    }
    return Date.UTC(y, m - 1, day + 1); // valid through the whole of that day
  }
  if (DATE_TIME.test(text) && Number.isFinite(Date.parse(text))) return Date.parse(text);
  throw new UsageError(`${where}.expires: "${text}" is not an ISO date (expected YYYY-MM-DD or e.g. 2026-12-31T18:00:00Z)`);
}

export function parseAllowEntry(raw: unknown, where: string): AllowEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UsageError(`${where}: expected an object with check, match, reason, expires`);
  const entry = raw as Record<string, unknown>;
  for (const key of Object.keys(entry))
    if (!ENTRY_KEYS.includes(key)) throw new UsageError(`${where}: unknown key "${key}" (expected ${ENTRY_KEYS.join(', ')})`);
  for (const key of ENTRY_KEYS) {
    if (typeof entry[key] !== 'string' || (entry[key] as string).trim() === '')
      throw new UsageError(`${where}.${key}: required, a non-empty string`);
  }
  const { check, match, reason, expires } = entry as Record<string, string>;
  if (!(CHECK_IDS as readonly string[]).includes(check))
    throw new UsageError(`${where}.check: unknown check id "${check}" (expected one of ${CHECK_IDS.join(', ')})`);
  let regex: RegExp;
  try {
    regex = new RegExp(match);
  } catch (err) {
    throw new UsageError(`${where}.match: invalid regular expression ${JSON.stringify(match)}: ${(err as Error).message}`);
  }
  return { check: check as CheckId, match, reason, expires, regex, expiresAtMs: parseExpiry(expires, where) };
}

export function parseAllowList(raw: unknown, where = 'allowList'): AllowEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new UsageError(`${where}: expected a list of { check, match, reason, expires }`);
  return raw.map((entry, i) => parseAllowEntry(entry, `${where}[${i}]`));
}

export const isExpired = (entry: AllowEntry, now: Date): boolean => now.getTime() >= entry.expiresAtMs;

/** The evidence an entry must cover: the concrete items (processes, fds, sockets, connections); notes only when there is nothing else. */
export function itemsToCover(check: CheckResult): Evidence[] {
  const concrete = check.evidence.filter((e) => e.kind !== 'note');
  if (concrete.length) return concrete;
  return check.evidence.length ? check.evidence : [{ kind: 'note', text: check.summary }];
}

export interface AllowListOutcome {
  checks: CheckResult[];
  statuses: AllowListStatus[];
}

/** Marks waived failures with `allowedBy` (pass stays false: the check did fail) and reports each entry's use. Pure. */
export function applyAllowList(checks: CheckResult[], entries: AllowEntry[], now: Date): AllowListOutcome {
  const matched = entries.map(() => 0);
  const expired = entries.map((e) => isExpired(e, now));
  const out = checks.map((check): CheckResult => {
    const { allowedBy: _previous, ...fresh } = check;
    if (check.pass) return fresh;
    const active = entries.map((e, i) => ({ e, i })).filter(({ e, i }) => e.check === check.id && !expired[i]);
    if (!active.length) return fresh;
    const used = new Set<number>();
    let covered = true;
    for (const item of itemsToCover(check)) {
      const text = evidenceMatchText(item);
      const hits = active.filter(({ e }) => e.regex.test(text));
      hits.forEach(({ i }) => {
        matched[i]++;
        used.add(i);
      });
      if (!hits.length) covered = false;
    }
    if (!covered) return fresh;
    const by = [...used].sort((a, b) => a - b).map((i) => entries[i]);
    const soonest = by.reduce((a, b) => (b.expiresAtMs < a.expiresAtMs ? b : a));
    return { ...fresh, allowedBy: { reason: by.map((e) => e.reason).join('; '), expires: soonest.expires } };
  });
  const statuses = entries.map(
    (e, i): AllowListStatus => ({
      check: e.check,
      match: e.match,
      reason: e.reason,
      expires: e.expires,
      expired: expired[i],
      matched: matched[i],
    }),
  );
  return { checks: out, statuses };
}

/** One clear line per expired entry, for the console and the reports. */
export function describeExpired(statuses: AllowListStatus[]): string[] {
  return statuses.flatMap((s, i) =>
    s.expired
      ? [
          `allow-list entry #${i + 1} (check ${s.check}, match ${JSON.stringify(s.match)}, reason ${JSON.stringify(s.reason)}) expired on ${s.expires}: fix the leak or renew the entry`,
        ]
      : [],
  );
}
