// What a request the HTTP parser rejected gets (clientError): 414 or 431 for a head too large, 408 for one too slow,
// 501 for a well-formed line with a method node does not know, 400 for anything else. Pure: the error in, the answer out.
import type { ProxyOptions } from '../options.js';

/** The parser's stopping point in the packet it failed on, and the line it stopped in. */
function failingLine(err: Error): { line: string; startsRequest: boolean } | null {
  const { rawPacket: raw, bytesParsed } = err as { rawPacket?: Buffer; bytesParsed?: number };
  if (!raw || bytesParsed === undefined) return null;
  const start = bytesParsed > 0 ? raw.lastIndexOf('\n', bytesParsed - 1) + 1 : 0;
  // a request starts the packet or follows the blank line that ended the one before it (pipelining)
  const startsRequest = start === 0 || (start >= 4 && raw.subarray(start - 4, start).toString('latin1') === '\r\n\r\n');
  return {
    line: raw
      .subarray(start, Math.min(raw.length, start + 8192))
      .toString('latin1')
      .split('\r\n', 1)[0],
    startsRequest,
  };
}

/** Did the header-size limit trip inside the request line (414, RFC 9112 §3) rather than the fields (431)? */
function overflowInRequestLine(err: Error): boolean {
  const at = failingLine(err);
  return at?.startsRequest === true && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /.test(at.line);
}

/**
 * Was the rejected request line well formed (token, target, version), so that only its method is unknown to
 * node's parser (501, RFC 9110 §9.1), rather than not HTTP at all (400)?
 */
function wellFormedRequestLine(err: Error): boolean {
  // the failing request's line: the one the parser stopped in (pipelined requests may come before it)
  const at = failingLine(err);
  return at !== null && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^\s]+ HTTP\/1\.[01]$/.test(at.line);
}

export function parseErrorAnswer(
  err: NodeJS.ErrnoException,
  options: Pick<ProxyOptions, 'maxHeaderSize' | 'headersTimeoutMs'>,
): { status: number; message: string } {
  const code = err.code ?? 'parse error';
  if (err.code === 'HPE_HEADER_OVERFLOW' && overflowInRequestLine(err))
    return { status: 414, message: `request line exceeds ${options.maxHeaderSize} bytes` };
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: `request header block exceeds ${options.maxHeaderSize} bytes` };
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, message: `request headers not received within ${options.headersTimeoutMs} ms` };
  if (err.code === 'HPE_INVALID_METHOD' && wellFormedRequestLine(err))
    return { status: 501, message: `request method not implemented here (${code})` };
  return { status: 400, message: `malformed request (${code})` };
}
