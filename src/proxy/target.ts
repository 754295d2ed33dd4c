// The absolute-form request-target (RFC 9112 §3.2.2) split as the client wrote it. A proxy must forward the
// path and query unchanged (RFC 9110 §7.7): WHATWG URL parsing would resolve `..`, decode `%2e` and re-escape
// quotes, so the origin would see another resource than the client named. Pure.

export interface AbsoluteTarget {
  /** the scheme, lower case, without "://" */
  scheme: string;
  /** host[:port] exactly as written (empty when the client wrote none) */
  authority: string;
  /** path and query exactly as written, "/" when the target had none; a fragment is not part of it */
  pathAndQuery: string;
}

export function splitAbsoluteTarget(target: string): AbsoluteTarget | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/.exec(target);
  if (!m) return null;
  const rest = m[3];
  return {
    scheme: m[1].toLowerCase(),
    authority: m[2],
    pathAndQuery: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest,
  };
}
