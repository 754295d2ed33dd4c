// One absolute-form http:// request through the proxy: refusals first (admit.ts: target form, version, auth,
// scheme, framing, Host, policy, size), then the upstream exchange — the body streamed with backpressure and bounded by
// --max-body, the origin's head held until its first body byte (so a body that fails before it is still a 502),
// the answer relayed, and everything released when the client's response closes.
import http from 'node:http';
import type net from 'node:net';
import { appendVia, endToEndHeaders } from '../headers.js';
import { lookupFor } from '../loopback-lookup.js';
import { noProgressTimer } from '../../util/no-progress-timer.js';
import type { ForwardContext } from './context.js';
import { admitRequest } from './admit.js';
import { reply as replyWith, VIA_HOP } from './replies.js';

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
  const admitted = admitRequest(options, req);
  if ('refused' in admitted) {
    const { status, message, extra } = admitted.refused;
    reply(req, res, status, message, extra);
    return undefined;
  }
  const { url, parts, hostname, hopsLeft } = admitted;
  if (hopsLeft === 0) {
    answerAsLastHop(req, res);
    return undefined;
  }
  const maxBody = options.maxBodyBytes;

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
