// What an external load tool (--load-cmd) printed, read into the report's load numbers when its format is known:
// autocannon --json (one JSON object), wrk's text summary and Locust's final stats tables (--headless; printed on
// stderr). Pure: text in, numbers out; null when the text is in none of these formats (the run still judges the target, the load section just has no counts).
import type { LoadStats } from '../../model/report.js';

export interface ParsedLoad {
  format: 'autocannon-json' | 'wrk' | 'locust';
  /** answered requests (any status) */
  requests: number;
  /** transport errors (connect, read, write, resets) */
  errors: number;
  timeouts: number;
  /** status class or code → count, as the tool reports it */
  statuses: Record<string, number>;
  /** responses outside 2xx (and 3xx for wrk, which counts them together) */
  non2xx: number;
  latencyMs: LoadStats['latencyMs'];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** autocannon --json: the last line of stdout that is a JSON object with requests and latency. */
export function parseAutocannonJson(text: string): ParsedLoad | null {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'));
  for (const line of lines.reverse()) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const latency = o.latency as Record<string, unknown> | undefined;
    const requests = o.requests as Record<string, unknown> | undefined;
    if (!latency || !requests || typeof requests.total !== 'number') continue;
    const statuses: Record<string, number> = {};
    const codes = o.statusCodeStats as Record<string, { count?: number }> | undefined;
    if (codes && typeof codes === 'object') for (const [code, s] of Object.entries(codes)) statuses[code] = num(s?.count);
    else for (const k of ['1xx', '2xx', '3xx', '4xx', '5xx']) if (num(o[k]) > 0) statuses[k] = num(o[k]);
    return {
      format: 'autocannon-json',
      requests: num(requests.total),
      // resets are counted by autocannon apart from errors (a server closing the connection under a request)
      errors: num(o.errors),
      timeouts: num(o.timeouts),
      statuses,
      non2xx: num(o.non2xx),
      latencyMs: {
        p50: num(latency.p50),
        p90: num(latency.p90),
        p99: num(latency.p99),
        max: num(latency.max),
        mean: num(latency.mean ?? latency.average),
      },
    };
  }
  return null;
}

/** "1.5ms", "230us", "2.1s" → milliseconds */
function wrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return 0;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
  return Math.round(Number(m[1]) * scale * 100) / 100;
}

/** wrk's summary: "N requests in Xs", "Latency avg stdev max", --latency percentiles, socket errors, non-2xx. */
export function parseWrk(text: string): ParsedLoad | null {
  const total = /(\d+) requests in [\d.]+\w+/.exec(text);
  if (!total) return null;
  const requests = Number(total[1]);
  const latency = /Latency\s+(\S+)\s+(\S+)\s+(\S+)/.exec(text);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(text);
    return m ? wrkDuration(m[1]!) : 0;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const max = latency ? wrkDuration(latency[3]!) : 0;
  return {
    format: 'wrk',
    requests,
    errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
    timeouts: socket ? Number(socket[4]) : 0,
    statuses: { '2xx/3xx': requests - non2xx, ...(non2xx ? { other: non2xx } : {}) },
    non2xx,
    latencyMs: { p50: pct('50'), p90: pct('90'), p99: pct('99'), max, mean: latency ? wrkDuration(latency[1]!) : 0 },
  };
}

/**
 * Locust's final tables: the request stats' "Aggregated" row (requests, failures, avg, min, max), the percentiles'
 * "Aggregated" row, and the error report, where an HTTPError names its status (a failure with a status is an answer;
 * anything else — a refused or reset connection — is a transport error).
 */
export function parseLocust(text: string): ParsedLoad | null {
  const stats = /^\s*Aggregated\s+(\d+)\s+(\d+)\([\d.]+%\)\s*\|\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\|/m.exec(text);
  if (!stats) return null;
  const [requests, failures, avg, , max] = stats.slice(1, 6).map(Number);
  const pctHeader = /^Type\s+Name\s+(50%.*?)\s+# reqs\s*$/m.exec(text);
  const pctRow = pctHeader ? /^\s*Aggregated\s+([\d\sN/A]+)$/m.exec(text.slice(pctHeader.index)) : null;
  const pct: Record<string, number> = {};
  if (pctHeader && pctRow) {
    const names = pctHeader[1].trim().split(/\s+/);
    const values = pctRow[1].trim().split(/\s+/);
    for (const [i, n] of names.entries()) pct[n] = Number(values[i]) || 0;
  }
  let httpFailures = 0;
  const statuses: Record<string, number> = {};
  for (const m of text.matchAll(/^(\d+)\s+\S+ .*?HTTPError\('(\d{3}) /gm)) {
    statuses[m[2]] = (statuses[m[2]] ?? 0) + Number(m[1]);
    httpFailures += Number(m[1]);
  }
  const transport = Math.max(0, failures - httpFailures);
  if (requests - failures > 0) statuses['2xx'] = requests - failures;
  return {
    format: 'locust',
    requests: requests - transport,
    errors: transport,
    timeouts: 0,
    statuses,
    non2xx: httpFailures,
    latencyMs: { p50: pct['50%'] ?? 0, p90: pct['90%'] ?? 0, p99: pct['99%'] ?? 0, max, mean: avg },
  };
}

/** The first known format the output is in, or null. */
export function parseLoadOutput(text: string): ParsedLoad | null {
  return parseAutocannonJson(text) ?? parseWrk(text) ?? parseLocust(text);
}
