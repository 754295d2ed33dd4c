// Whether the proxy takes an absolute-form http:// request at all, and why not: the refusals in the order
// exchange.ts answers them (target form, version, auth, scheme, framing, Host, policy, declared size). Pure over
// the request's head; exchange.ts writes the refusal and runs the upstream exchange for what is admitted.
import type http from 'node:http';
import type { ProxyOptions } from '../options.js';
import { hasConflictingFraming } from '../headers.js';
import { splitAbsoluteTarget, type AbsoluteTarget } from '../target.js';
import { destinationAllowed, proxyAuthenticateValue, proxyAuthorized } from '../policy.js';
import { allowedWhere } from './context.js';

export interface Refusal {
  status: number;
  message: string;
  extra?: Record<string, string>;
}

/** An admitted request's target, parsed once; hopsLeft: its Max-Forwards on TRACE/OPTIONS (else null). */
export interface Admitted {
  url: URL;
  parts: AbsoluteTarget;
  /** without an IPv6 literal's brackets */
  hostname: string;
  hopsLeft: number | null;
}

const refuse = (status: number, message: string, extra?: Record<string, string>): { refused: Refusal } => ({
  refused: extra === undefined ? { status, message } : { status, message, extra },
});

function hostFields(rawHeaders: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].length === 4 && rawHeaders[i].toLowerCase() === 'host') n++;
  return n;
}

/** A Max-Forwards value, or null when absent or not a plain number. */
function maxForwardsOf(value: string | string[] | undefined): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && /^\s*\d+\s*$/.test(v) ? Number(v) : null;
}

/** The request's target if the proxy forwards it, or the refusal to answer with. */
export function admitRequest(options: ProxyOptions, req: http.IncomingMessage): Admitted | { refused: Refusal } {
  const target = req.url ?? '';
  if (target.startsWith('/') || target === '*') {
    return refuse(400, 'this is a forward proxy: send absolute-form requests (GET http://host:port/path) or CONNECT host:port');
  }
  if (req.httpVersionMajor !== 1) {
    return refuse(505, `HTTP/${req.httpVersion} is not supported: HTTP/1.0 and HTTP/1.1 only`);
  }
  if (!proxyAuthorized(req.headers['proxy-authorization'], options.auth)) {
    return refuse(407, 'proxy authentication required', { 'proxy-authenticate': proxyAuthenticateValue() });
  }
  const parts = splitAbsoluteTarget(target);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return refuse(400, `malformed request target "${target.slice(0, 200)}"`);
  }
  if (parts?.scheme !== 'http') {
    return refuse(501, `scheme "${url.protocol.replace(/:$/, '')}" is not supported: only http:// (use CONNECT for tunnels)`);
  }
  if (hasConflictingFraming(req.rawHeaders)) {
    return refuse(400, 'both Content-Length and Transfer-Encoding: refused, not forwarded');
  }
  if (hostFields(req.rawHeaders) > 1) {
    return refuse(400, 'more than one Host field (RFC 9112 §3.2)');
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // "http:///x" has no authority; WHATWG URL would read the path's first segment as the host
  if (!hostname || !parts.authority) {
    return refuse(400, 'request target has no host');
  }
  if (!destinationAllowed(hostname, options.allowHosts, !options.public)) {
    return refuse(403, `destination "${hostname}" is not allowed (${allowedWhere(options)})`);
  }
  const maxBody = options.maxBodyBytes;
  const declared = req.headers['content-length'];
  if (maxBody !== null && declared !== undefined && Number(declared) > maxBody) {
    return refuse(413, `request body of ${declared} bytes exceeds the limit of ${maxBody}`);
  }

  // Max-Forwards counts down on TRACE and OPTIONS only (RFC 9110 §7.6.2)
  const hopsLeft = req.method === 'TRACE' || req.method === 'OPTIONS' ? maxForwardsOf(req.headers['max-forwards']) : null;
  return { url, parts, hostname, hopsLeft };
}

/** Would forwardRequest let this request through auth and the destination policy? */
export function mayContinue(options: ProxyOptions, req: http.IncomingMessage): boolean {
  if (!proxyAuthorized(req.headers['proxy-authorization'], options.auth)) return false;
  let host: string;
  try {
    host = new URL(req.url ?? '').hostname;
  } catch {
    return false;
  }
  host = host.startsWith('[') ? host.slice(1, -1) : host;
  return host !== '' && destinationAllowed(host, options.allowHosts, !options.public);
}
