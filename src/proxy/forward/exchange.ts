// One absolute-form http:// request through the proxy: refusals first (target form, version, auth, scheme, framing,
// Host, policy, size), then the upstream exchange — the body streamed with backpressure and bounded by
// --max-body, the origin's head held until its first body byte (so a body that fails before it is still a 502),
// the answer relayed, and everything released when the client's response closes.
import http from 'node:http';
import type net from 'node:net';
import type { ProxyOptions } from '../options.js';
import { appendVia, endToEndHeaders, hasConflictingFraming } from '../headers.js';
import { lookupFor } from '../loopback-lookup.js';
import { splitAbsoluteTarget } from '../target.js';
import { noProgressTimer } from '../../util/no-progress-timer.js';
import { destinationAllowed, proxyAuthenticateValue, proxyAuthorized } from '../policy.js';
import { allowedWhere, type ForwardContext } from './context.js';
import { reply as replyWith, VIA_HOP } from './replies.js';

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

/** Max-Forwards 0 on TRACE/OPTIONS: this hop is the recipient and answers itself (RFC 9110 §7.6.2). */
function answerAsLastHop(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method === 'OPTIONS') {
    res.writeHead(200, { allow: 'GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH, CONNECT', 'content-length': 0, via: VIA_HOP });
    res.end();
    return;
  }
  // TRACE: the request as received, credentials left out (RFC 9110 §9.3.8)
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (!/^(proxy-authorization|authorization|cookie)$/i.test(req.rawHeaders[i]))
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  }
  const body = `${lines.join('\r\n')}\r\n\r\n`;
  res.writeHead(200, { 'content-type': 'message/http', 'content-length': Buffer.byteLength(body), via: VIA_HOP });
  res.end(body);
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

/** Forwards one request; returns what to do once the client's response has closed (if anything). */
export function forwardRequest(ctx: ForwardContext, req: http.IncomingMessage, res: http.ServerResponse): (() => void) | undefined {
  const { options, agent } = ctx;
  const reply = (
    rq: http.IncomingMessage,
    rs: http.ServerResponse,
    status: number,
    message: string,
    extra?: Record<string, string>,
  ): void => replyWith(ctx.closing(), rq, rs, status, message, extra);
  const target = req.url ?? '';
  if (target.startsWith('/') || target === '*') {
    reply(req, res, 400, 'this is a forward proxy: send absolute-form requests (GET http://host:port/path) or CONNECT host:port');
    return undefined;
  }
  if (req.httpVersionMajor !== 1) {
    reply(req, res, 505, `HTTP/${req.httpVersion} is not supported: HTTP/1.0 and HTTP/1.1 only`);
    return undefined;
  }
  if (!proxyAuthorized(req.headers['proxy-authorization'], options.auth)) {
    reply(req, res, 407, 'proxy authentication required', { 'proxy-authenticate': proxyAuthenticateValue() });
    return undefined;
  }
  const parts = splitAbsoluteTarget(target);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    reply(req, res, 400, `malformed request target "${target.slice(0, 200)}"`);
    return undefined;
  }
  if (parts?.scheme !== 'http') {
    reply(req, res, 501, `scheme "${url.protocol.replace(/:$/, '')}" is not supported: only http:// (use CONNECT for tunnels)`);
    return undefined;
  }
  if (hasConflictingFraming(req.rawHeaders)) {
    reply(req, res, 400, 'both Content-Length and Transfer-Encoding: refused, not forwarded');
    return undefined;
  }
  if (hostFields(req.rawHeaders) > 1) {
    reply(req, res, 400, 'more than one Host field (RFC 9112 §3.2)');
    return undefined;
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // "http:///x" has no authority; WHATWG URL would read the path's first segment as the host
  if (!hostname || !parts.authority) {
    reply(req, res, 400, 'request target has no host');
    return undefined;
  }
  if (!destinationAllowed(hostname, options.allowHosts, !options.public)) {
    reply(req, res, 403, `destination "${hostname}" is not allowed (${allowedWhere(options)})`);
    return undefined;
  }
  const maxBody = options.maxBodyBytes;
  const declared = req.headers['content-length'];
  if (maxBody !== null && declared !== undefined && Number(declared) > maxBody) {
    reply(req, res, 413, `request body of ${declared} bytes exceeds the limit of ${maxBody}`);
    return undefined;
  }

  // Max-Forwards counts down on TRACE and OPTIONS only (RFC 9110 §7.6.2)
  const hopsLeft = req.method === 'TRACE' || req.method === 'OPTIONS' ? maxForwardsOf(req.headers['max-forwards']) : null;
  if (hopsLeft === 0) {
    answerAsLastHop(req, res);
    return undefined;
  }

  const headers = endToEndHeaders(req.rawHeaders);
  headers.host = url.host;
  appendVia(headers, req.httpVersion);
  // a body of unknown length is re-framed for the next hop (Transfer-Encoding itself is hop-by-hop)
  if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
  if (hopsLeft !== null) headers['max-forwards'] = String(hopsLeft - 1);

  let upReq: http.ClientRequest;
  try {
    upReq = http.request({
      agent,
      host: hostname,
      port: url.port ? Number(url.port) : 80,
      lookup: lookupFor(hostname, !options.public),
      method: req.method,
      // as the client wrote it: a proxy must not rewrite the path or query (RFC 9110 §7.7)
      path: parts.pathAndQuery,
      headers,
      setHost: false,
      // the origin may not go silent for longer than this: the agent sets it as the socket's idle timeout
      // when it assigns the socket (cheaper than req.setTimeout(), which adds listeners per request)
      timeout: options.upstreamTimeoutMs,
    });
  } catch (err) {
    // node:http refuses to send some bytes its server accepted (ERR_UNESCAPED_CHARACTERS, ERR_INVALID_CHAR)
    reply(req, res, 400, `request cannot be forwarded: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  // the origin's answer is parsed with every field kept (see server.maxHeadersCount above)
  (upReq as unknown as { maxHeadersCount: number }).maxHeadersCount = 0;

  let timedOut = false;
  let finished = false; // an answer (forwarded or error) has been decided
  let awaitingDrain = false; // the origin is not reading the upload as fast as the client sends it
  // the origin's head, decided but not yet written: it goes out with the first body byte (or the body's end), so
  // a body that fails before its first byte (a malformed chunk, a cut) still gets a 502 instead of a bare EOF
  let heldHead: { release(): boolean; fail(status: number, why: string): void } | null = null;
  const giveUp = (): void => {
    timedOut = true;
    // a body already under way must end as cut off, never with a clean end the client would take as whole
    if (res.headersSent && !res.writableEnded) res.destroy();
    upReq.destroy(new Error('upstream timeout'));
  };
  // No progress for --upstream-timeout: no byte of the upload forwarded, or no response head once it is all
  // sent. Each forwarded chunk is progress, so a long upload that keeps moving is not cut; connecting counts.
  const headTimer = noProgressTimer(options.upstreamTimeoutMs, giveUp);
  upReq.on('timeout', giveUp);
  upReq.on('finish', () => headTimer.progress());
  upReq.on('close', () => {
    headTimer.clear();
    // closed with no response and no error: an answer node:http swallowed (a 101 nobody asked for)
    if (!finished && !res.destroyed) {
      finished = true;
      stopPump();
      reply(req, res, 502, `origin ${url.host} closed the connection without a response`);
    }
  });
  // Upgrade is hop-by-hop and never forwarded, so a 101 is an answer to a question nobody asked
  upReq.on('upgrade', (_upRes, upSocket: net.Socket) => {
    upSocket.destroy();
    if (finished || res.destroyed) return;
    finished = true;
    stopPump();
    reply(req, res, 502, `origin ${url.host} switched protocols unasked (101)`);
  });
  // 103 Early Hints travel on (RFC 9110 §15.2: 1xx are forwarded); others (102) are obsolete
  upReq.on('information', (info: { statusCode: number; headers: http.IncomingHttpHeaders }) => {
    if (info.statusCode !== 103 || info.headers.link === undefined || res.headersSent || finished) return;
    try {
      res.writeEarlyHints({ link: info.headers.link });
    } catch {
      // a Link value node:http will not write: the hint is only a hint
    }
  });

  upReq.on('error', (err: NodeJS.ErrnoException) => {
    stopPump();
    if (heldHead) {
      heldHead.fail(
        timedOut ? 504 : 502,
        timedOut
          ? `origin ${url.host} sent its head, then nothing within ${options.upstreamTimeoutMs} ms`
          : `origin ${url.host} sent a malformed body: ${err.code ?? err.message}`,
      );
      return;
    }
    if (finished || res.destroyed) return;
    finished = true;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (timedOut && !req.complete && !awaitingDrain) {
      reply(req, res, 408, `request body stalled: no byte from the client for ${options.upstreamTimeoutMs} ms`, { connection: 'close' });
    } else if (timedOut) reply(req, res, 504, `origin ${url.host} did not answer within ${options.upstreamTimeoutMs} ms`);
    else reply(req, res, 502, `origin ${url.host} failed: ${err.code ?? err.message}`);
  });

  upReq.on('response', (upRes) => {
    headTimer.clear();
    if (finished || res.destroyed) {
      upRes.destroy();
      return;
    }
    finished = true;
    const status = upRes.statusCode ?? 0;
    const coding = upRes.headers['transfer-encoding'];
    const unusable =
      status < 200 || status > 599
        ? `status ${status}`
        : coding !== undefined && !/^\s*chunked\s*$/i.test(coding)
          ? `Transfer-Encoding "${coding}" (only chunked is decoded here)`
          : null;
    if (unusable) {
      upRes.destroy();
      upReq.destroy();
      reply(req, res, 502, `origin ${url.host} sent an unusable response: ${unusable}`);
      return;
    }
    const out = endToEndHeaders(upRes.rawHeaders);
    appendVia(out, upRes.httpVersion);
    if (ctx.closing()) out.connection = 'close';
    // a 204 has no body, so no length either (RFC 9110 §8.6)
    if (status === 204) delete out['content-length'];
    let sent = false; // the head went out and the body follows it
    const head = {
      release(): boolean {
        if (heldHead !== head) return sent && !res.destroyed;
        heldHead = null;
        if (res.destroyed) {
          upRes.destroy();
          return false;
        }
        try {
          res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
        } catch (err) {
          upRes.destroy();
          reply(req, res, 502, `origin ${url.host} sent an unusable response head: ${err instanceof Error ? err.message : String(err)}`);
          return false;
        }
        sent = true;
        return true;
      },
      fail(code: number, why: string): void {
        if (heldHead !== head) return;
        heldHead = null;
        upRes.destroy();
        reply(req, res, code, why);
      },
    };
    heldHead = head;
    // pipe() by hand: the head is written only when the first byte (or the end) is there to follow it
    upRes.on('data', (chunk: Buffer) => {
      if (head.release() && !res.write(chunk)) upRes.pause();
    });
    res.on('drain', () => upRes.resume());
    upRes.on('end', () => {
      if (head.release()) res.end();
    });
    upRes.on('close', () => {
      // origin cut the body short: the client must not mistake a truncated body for a whole one
      if (!upRes.complete) {
        if (heldHead === head)
          head.fail(
            timedOut ? 504 : 502,
            timedOut
              ? `origin ${url.host} sent its head, then nothing within ${options.upstreamTimeoutMs} ms`
              : `origin ${url.host} closed the connection before its body`,
          );
        else res.destroy();
      }
    });
  });

  // Request body: streamed with backpressure, counted against --max-body.
  let received = 0;
  let pumping = true;
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (maxBody !== null && received > maxBody) {
      stopPump();
      if (!finished) {
        finished = true;
        upReq.destroy();
        reply(req, res, 413, `request body exceeds the limit of ${maxBody} bytes`);
      }
      return;
    }
    headTimer.progress();
    if (!upReq.write(chunk)) {
      awaitingDrain = true;
      req.pause();
    }
  };
  const onDrain = (): void => {
    awaitingDrain = false;
    if (pumping) req.resume();
  };
  const onEnd = (): void => {
    if (pumping) upReq.end();
  };
  function stopPump(): void {
    if (!pumping) return;
    pumping = false;
    req.off('data', onData);
    upReq.off('drain', onDrain);
    // whatever the client still sends is discarded (the answer carries Connection: close if it matters)
    req.resume();
  }
  req.on('data', onData);
  req.on('end', onEnd);
  upReq.on('drain', onDrain);

  // The client went away (or its response is done while the upload still runs): drop the upstream
  // request rather than leave its socket half-used in the pool.
  return () => {
    if (!res.writableFinished || !upReq.writableFinished) {
      finished = true;
      upReq.destroy();
      // the origin answered before the upload ended: the rest of the body is read and discarded, so the
      // client is neither stalled nor cut off mid-upload
      stopPump();
    }
  };
}
