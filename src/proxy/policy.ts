// Who may go where: destination allow-list (loopback by default), CONNECT ports, Basic proxy auth.
// Pure decisions, no I/O: forward.ts asks, and answers 403/407 itself.
import { createHash, timingSafeEqual } from 'node:crypto';

export const AUTH_REALM = 'handoff';

/** A host name or IP literal as written in a request (brackets allowed around IPv6). */
function bare(host: string): string {
  const h = host.trim().toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Loopback by literal only (no DNS): 127/8, ::1, IPv4-mapped 127/8, and the name localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = bare(host);
  if (h === 'localhost' || h === 'localhost.' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  // IPv4-mapped, in hex as URL parsing writes it: ::ffff:7f00:1 is ::ffff:127.0.0.1
  const hex = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(h);
  if (hex) return parseInt(hex[1], 16) >> 8 === 127;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return (m?.slice(1).every((o) => Number(o) <= 255) ?? false) && m?.[1] === '127';
}

/** The unspecified address (0.0.0.0, ::): a connection to it reaches this host's own services. */
function isUnspecified(host: string): boolean {
  const h = bare(host);
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0' || h === '::ffff:0.0.0.0' || h === '::ffff:0:0';
}

/** A destination on this host: loopback, or the unspecified address that reaches the same services. */
export function isThisHost(host: string): boolean {
  return isLoopbackHost(host) || isUnspecified(host);
}

/**
 * May the proxy open a connection to this host? This host (loopback) when `loopbackByDefault` (not under
 * --public), or when --allow-host names it exactly; otherwise only what --allow-host lists: an exact name or
 * address, `*.example.com` for subdomains, or `*` for anything else.
 */
export function destinationAllowed(host: string, allowHosts: readonly string[], loopbackByDefault = true): boolean {
  const h = bare(host);
  if (isThisHost(host)) return loopbackByDefault || allowHosts.some((entry) => bare(entry) === h);
  return allowHosts.some((entry) => {
    const a = bare(entry);
    if (a === '*') return true;
    if (a.startsWith('*.')) return h.endsWith(a.slice(1)) && h.length > a.length - 1;
    return a === h;
  });
}

export function connectPortAllowed(port: number, connectPorts: readonly number[]): boolean {
  return connectPorts.includes(port);
}

/** CONNECT's authority-form target "host:port" / "[v6]:port" → parts, or null when malformed. */
export function parseAuthority(target: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+):(\d{1,5})$/.exec(target);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1].startsWith('[') ? m[1].slice(1, -1) : m[1], port };
}

/** Equal texts? Their digests are compared in constant time, so the time taken tells nothing of either. */
function sameText(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Does a Proxy-Authorization header carry the expected "user:pass"? Always true when no auth is configured.
 * The scheme is matched case-insensitively (RFC 9110 §11.1).
 */
export function proxyAuthorized(header: string | undefined, expected: string | null): boolean {
  if (expected === null) return true;
  if (!header) return false;
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return false;
  return sameText(Buffer.from(m[1], 'base64').toString('utf8'), expected);
}

export const proxyAuthenticateValue = (): string => `Basic realm="${AUTH_REALM}", charset="UTF-8"`;
