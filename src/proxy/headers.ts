// Hop-by-hop header handling (RFC 9110 §7.6.1) and Via (§7.6.3): pure functions over raw header lists, so
// the forwarding code never has to think about case, duplicates or the Connection header's own tokens.

/** Headers that only ever describe one hop, whatever Connection says. */
const ALWAYS_HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // consumed by this proxy (or not meant for the origin): credentials never travel further
  'proxy-authorization',
]);

/**
 * Fields a Connection header may not remove: the body's framing is this hop's business, decided from what the
 * parser used. `Connection: Content-Length` dropping it would send the body unframed, so the next hop would read
 * it as further requests (smuggling).
 */
const NEVER_CONNECTION_LISTED = new Set(['content-length']);

export const VIA_PSEUDONYM = 'handoff';

/** Field names (lower case) listed by every Connection header of a raw header list. */
export function connectionTokens(rawHeaders: readonly string[]): Set<string> {
  const tokens = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() !== 'connection') continue;
    for (const t of rawHeaders[i + 1].split(',')) {
      const token = t.trim().toLowerCase();
      if (token) tokens.add(token);
    }
  }
  return tokens;
}

export type HeaderMap = Record<string, string | string[]>;

/**
 * Raw headers ([name, value, name, value, …] as node:http gives them) minus every hop-by-hop field, as a map
 * keyed by lower-case name (repeated fields become arrays, order kept).
 */
export function endToEndHeaders(rawHeaders: readonly string[], extraDrop: readonly string[] = []): HeaderMap {
  const drop = connectionTokens(rawHeaders);
  for (const keep of NEVER_CONNECTION_LISTED) drop.delete(keep);
  for (const d of extraDrop) drop.add(d);
  const out: HeaderMap = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (ALWAYS_HOP_BY_HOP.has(name) || drop.has(name)) continue;
    const value = rawHeaders[i + 1];
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

/** Via with this hop appended: "1.1 handoff", after whatever earlier hops said. */
export function appendVia(headers: HeaderMap, httpVersion: string): void {
  const protocol = /^\d+\.\d+$/.test(httpVersion) ? httpVersion : '1.1';
  const hop = `${protocol} ${VIA_PSEUDONYM}`;
  const prev = headers.via;
  headers.via = prev === undefined ? hop : `${Array.isArray(prev) ? prev.join(', ') : prev}, ${hop}`;
}

/** True when a message declares both framings: a smuggling vector, refused rather than guessed at. */
export function hasConflictingFraming(rawHeaders: readonly string[]): boolean {
  let cl = false;
  let te = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (name === 'content-length') cl = true;
    else if (name === 'transfer-encoding') te = true;
  }
  return cl && te;
}
