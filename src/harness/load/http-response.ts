// Incremental HTTP/1.x response parser for the churn client: tells when a response is complete, so the time to
// EOF after it can be measured. Pure (bytes in, state out).

export interface ParsedHead {
  status: number;
  headers: Record<string, string>;
}

export type ParseState =
  | { kind: 'incomplete' }
  | { kind: 'complete'; head: ParsedHead; body: Buffer /** bytes after the response (should be none) */; extra: number }
  | { kind: 'until-eof'; head: ParsedHead }
  | { kind: 'malformed'; reason: string };

const HEADER_LIMIT = 64 * 1024;

export function parseHead(text: string): ParsedHead | null {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]);
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) return null;
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers };
}

/** Decodes a complete chunked body; returns null while incomplete, 'bad' if malformed. */
export function decodeChunked(buf: Buffer): { body: Buffer; consumed: number } | null | 'bad' {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return null;
    const size = parseInt(buf.subarray(pos, eol).toString('latin1').split(';')[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) return 'bad';
    pos = eol + 2;
    if (size === 0) {
      // trailers end with an empty line
      const end = buf.indexOf('\r\n\r\n', pos - 2);
      if (end < 0) return null;
      return { body: Buffer.concat(parts), consumed: end + 4 };
    }
    if (buf.length < pos + size + 2) return null;
    parts.push(buf.subarray(pos, pos + size));
    pos += size + 2;
  }
}

export function parseResponse(buf: Buffer, method = 'GET'): ParseState {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return buf.length > HEADER_LIMIT ? { kind: 'malformed', reason: 'response head too large' } : { kind: 'incomplete' };
  const head = parseHead(buf.subarray(0, headEnd).toString('latin1'));
  if (!head)
    return { kind: 'malformed', reason: `bad response head ${JSON.stringify(buf.subarray(0, Math.min(40, headEnd)).toString('latin1'))}` };
  const rest = buf.subarray(headEnd + 4);
  if (method === 'HEAD' || head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200)) {
    return { kind: 'complete', head, body: Buffer.alloc(0), extra: rest.length };
  }
  if (/\bchunked\b/i.test(head.headers['transfer-encoding'] ?? '')) {
    const r = decodeChunked(rest);
    if (r === 'bad') return { kind: 'malformed', reason: 'bad chunked encoding' };
    if (!r) return { kind: 'incomplete' };
    return { kind: 'complete', head, body: r.body, extra: rest.length - r.consumed };
  }
  const cl = head.headers['content-length'];
  if (cl !== undefined) {
    const n = Number(cl);
    if (!/^\d+$/.test(cl)) return { kind: 'malformed', reason: `bad content-length ${cl}` };
    if (rest.length < n) return { kind: 'incomplete' };
    return { kind: 'complete', head, body: rest.subarray(0, n), extra: rest.length - n };
  }
  return { kind: 'until-eof', head };
}
