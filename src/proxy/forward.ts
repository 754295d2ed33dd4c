// HTTP/1.1 forward-proxy behaviour on a node:http Server: absolute-form http:// requests of every method with
// streamed bodies, CONNECT tunnels with half-close, hop-by-hop stripping, Via, policy, and a graceful close.
// Every strategy runs this one module: `inline` listens with `server`, children get sockets via serveSocket().
// Loaded by every per-connection child, so it imports only node:http, node:net and two small pure modules.
import http from 'node:http';
import net from 'node:net';
import type { ProxyOptions } from './options.js';
import { appendVia, endToEndHeaders, hasConflictingFraming, VIA_PSEUDONYM } from './headers.js';
import { lookupFor } from './loopback-lookup.js';
import { splitAbsoluteTarget } from './target.js';
import { closeAfterDrain, markUnreadBody } from './unread-body.js';
import { noProgressTimer } from '../util/no-progress-timer.js';
import { createConnectionPipeline, type ConnectionPipeline, type ConnectionReading } from './pipeline.js';
import {
  connectPortAllowed,
  destinationAllowed,
  parseAuthority,
  proxyAuthenticateValue,
  proxyAuthorized,
} from './policy.js';

export interface ForwardHooks {
  /** every socket opened towards an origin or CONNECT destination (fd-leak canary hooks here) */
  onUpstreamSocket?: (socket: net.Socket) => void;
}

export interface ForwardProxy {
  /** the http.Server carrying the proxy behaviour (in children it never listens itself) */
  readonly server: http.Server;
  /** serve one accepted socket handed over by a master */
  serveSocket(socket: net.Socket): void;
  /** client connections currently open */
  connections(): number;
  /** stop taking requests, let in-flight ones finish up to graceMs, then destroy what is left */
  close(graceMs: number): Promise<void>;
}

interface ClientState {
  /** requests on this connection whose response has not closed yet */
  active: number;
  /** the connection became a CONNECT tunnel (no longer HTTP) */
  tunnel: boolean;
  /** the latest request: the one whose body the parser may still be reading */
  current: { req: http.IncomingMessage; res: http.ServerResponse; abort: () => void } | null;
  /** run once no response is pending (answers and tunnels that must wait their turn: RFC 9112 §9.3.2) */
  whenIdle: Array<() => void>;
  /** the parser gave up on this connection (it may report more than once) */
  failed: boolean;
  /** its requests: a bounded number forwarded at once, all cancelled when it closes */
  pipeline: ConnectionPipeline;
}

/**
 * Reading from a client connection, paused the way node:http pauses it itself when answers back up: its
 * `_paused` flag. A plain pause() would not hold: node:http resumes reading after every request it parses
 * unless that flag is set (and then pauses its parser too).
 */
function connectionReading(socket: net.Socket): ConnectionReading {
  const s = socket as net.Socket & { _paused?: boolean; parser?: { resume(): void } | null };
  return {
    pause: () => {
      s._paused = true;
      s.pause();
    },
    resume: () => {
      s._paused = false;
      s.parser?.resume();
      s.resume();
    },
  };
}

function newClientState(socket: net.Socket): ClientState {
  return { active: 0, tunnel: false, current: null, whenIdle: [], failed: false, pipeline: createConnectionPipeline(connectionReading(socket)) };
}

/** `fn` now if nothing is pending on the connection, else once its last pending response has closed. */
function afterPending(state: ClientState | undefined, fn: () => void): void {
  if (!state || state.active === 0) fn();
  else state.whenIdle.push(fn);
}

const VIA_HOP = `1.1 ${VIA_PSEUDONYM}`;

function statusText(status: number): string {
  return http.STATUS_CODES[status] ?? 'Error';
}

function errorBody(status: number, message: string): string {
  return `${status} ${statusText(status)}: ${message}\n`;
}

/** The parser's stopping point in the packet it failed on, and the line it stopped in. */
function failingLine(err: Error): { line: string; startsRequest: boolean } | null {
  const { rawPacket: raw, bytesParsed } = err as { rawPacket?: Buffer; bytesParsed?: number };
  if (!raw || bytesParsed === undefined) return null;
  const start = bytesParsed > 0 ? raw.lastIndexOf('\n', bytesParsed - 1) + 1 : 0;
  // a request starts the packet or follows the blank line that ended the one before it (pipelining)
  const startsRequest = start === 0 || (start >= 4 && raw.subarray(start - 4, start).toString('latin1') === '\r\n\r\n');
  return { line: raw.subarray(start, Math.min(raw.length, start + 8192)).toString('latin1').split('\r\n', 1)[0], startsRequest };
}

/** Did the header-size limit trip inside the request line (414, RFC 9112 §3) rather than the fields (431)? */
function overflowInRequestLine(err: Error): boolean {
  const at = failingLine(err);
  return at !== null && at.startsRequest && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /.test(at.line);
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

/** What the destination policy allows, for a 403's message. */
function allowedWhere(options: ProxyOptions): string {
  return options.public ? '--public: only what --allow-host lists; this host only when named exactly' : 'loopback only unless --allow-host';
}

/** True when the request announces a body (which an early error answer leaves unread). */
function announcesBody(req: http.IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

export function createForwardProxy(options: ProxyOptions, hooks: ForwardHooks = {}): ForwardProxy {
  const clients = new Map<net.Socket, ClientState>();
  const upstreams = new Set<net.Socket>();
  let inFlight = 0;
  let closing = false;
  let closed: Promise<void> | null = null;
  let trackingStarted = false;

  const checkEvery = Math.max(100, Math.min(1_000, Math.floor(options.headersTimeoutMs / 2)));
  const server = http.createServer({
    maxHeaderSize: options.maxHeaderSize,
    headersTimeout: options.headersTimeoutMs,
    // bodies may stream for a long time; the upstream timeout and client disconnects bound them instead
    requestTimeout: 0,
    connectionsCheckingInterval: checkEvery,
    // absolute-form requests carry their authority; a missing Host is filled in from it
    requireHostHeader: false,
    noDelay: true,
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  // node:http silently drops fields past 2000 (1000 pairs) while its parser still frames the body by a later
  // Content-Length: the forwarded request would lose its framing. maxHeaderSize bounds the block anyway.
  server.maxHeadersCount = 0;

  function trackUpstream(socket: net.Socket): void {
    upstreams.add(socket);
    socket.once('close', () => upstreams.delete(socket));
    hooks.onUpstreamSocket?.(socket);
  }

  // Keep-alive pool towards origins; every socket it opens is tracked so close() can destroy it.
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    // idle pooled sockets are destroyed after this (the agent applies it to free sockets only)
    timeout: options.keepAliveTimeoutMs,
  });
  (agent as unknown as { createConnection: (o: net.NetConnectOpts) => net.Socket }).createConnection = (opts) => {
    const socket = net.createConnection(opts);
    socket.setNoDelay(true);
    trackUpstream(socket);
    return socket;
  };

  /** An answer written straight onto a socket the HTTP parser no longer owns (clientError, CONNECT). */
  function rawReply(socket: net.Socket, status: number, message: string, extra: string[] = []): void {
    if (socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    const body = errorBody(status, message);
    const head = [
      `HTTP/1.1 ${status} ${statusText(status)}`,
      'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      `Via: ${VIA_HOP}`,
      ...extra,
    ];
    socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
    // end our side, drain what the client still sends, then destroy (silence, its FIN, or a cap)
    markUnreadBody(socket);
    socket.end();
    closeAfterDrain(socket, () => socket.destroy());
  }

  /** An error answer to an HTTP request; closes the connection when the request body was left unread. */
  function reply(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    message: string,
    extra: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) {
      // too late for a status: the only honest signal left is cutting the connection
      res.destroy();
      return;
    }
    const body = errorBody(status, message);
    const headers: Record<string, string | number> = {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      via: VIA_HOP,
      ...extra,
    };
    if (closing || announcesBody(req)) headers.connection = 'close';
    if (announcesBody(req) && !req.complete) markUnreadBody(req.socket);
    res.writeHead(status, headers);
    res.end(body);
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const socket = req.socket;
    const state = clients.get(socket);
    inFlight++;
    if (state) state.active++;
    // what to do once the client's response has closed (or the connection has): release the upstream side
    let release: (() => void) | undefined;
    const settle = (): void => {
      inFlight--;
      if (!state) return;
      state.active--;
      if (state.current?.res === res) state.current = null;
      if (state.active === 0) {
        if (closing) socket.destroySoon();
        for (const fn of state.whenIdle.splice(0)) fn();
      }
    };
    const start = (): void => {
      // answered while it waited its turn (its own body was malformed), or the client is gone (its 'close', which
      // settles the rest, is still to come): nothing left to forward
      if (res.writableEnded || res.destroyed || socket.destroyed) return;
      if (closing) res.setHeader('connection', 'close');
      try {
        release = forwardRequest(req, res);
      } catch (err) {
        // a bug must cost one request, never the process
        reply(req, res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const cancel = (): void => release?.();
    if (state) state.current = { req, res, abort: cancel };
    // one 'close' listener per request (hot path): the pipeline starts the next waiting request from it
    const done = state ? state.pipeline.admit({ start, cancel, settle }) : (start(), settle);
    res.on('close', () => {
      release?.();
      done();
    });
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
      if (!/^(proxy-authorization|authorization|cookie)$/i.test(req.rawHeaders[i])) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    const body = `${lines.join('\r\n')}\r\n\r\n`;
    res.writeHead(200, { 'content-type': 'message/http', 'content-length': Buffer.byteLength(body), via: VIA_HOP });
    res.end(body);
  }

  /** Forwards one request; returns what to do once the client's response has closed (if anything). */
  function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse): (() => void) | undefined {
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
    if (!parts || parts.scheme !== 'http') {
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
        heldHead.fail(timedOut ? 504 : 502, timedOut ? `origin ${url.host} sent its head, then nothing within ${options.upstreamTimeoutMs} ms` : `origin ${url.host} sent a malformed body: ${err.code ?? err.message}`);
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
      if (closing) out.connection = 'close';
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
          if (heldHead === head) head.fail(timedOut ? 504 : 502, timedOut ? `origin ${url.host} sent its head, then nothing within ${options.upstreamTimeoutMs} ms` : `origin ${url.host} closed the connection before its body`);
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

  /** Would forwardRequest let this request through auth and the destination policy? */
  function mayContinue(req: http.IncomingMessage): boolean {
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

  function onConnect(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const state = clients.get(socket);
    if (state) state.tunnel = true;
    // the HTTP parser let go of this socket: its errors are ours now
    socket.on('error', () => socket.destroy());
    socket.setTimeout(0);
    // a CONNECT pipelined behind requests still being answered waits for them: its 200 (and the tunnel's
    // bytes) must come after their responses, not in the middle (node:http leaves the socket paused meanwhile)
    afterPending(state, () => {
      if (socket.destroyed) return;
      try {
        openTunnel(req, socket, head);
      } catch (err) {
        rawReply(socket, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }

  function openTunnel(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    if (closing) {
      rawReply(socket, 503, 'proxy is shutting down');
      return;
    }
    if (!proxyAuthorized(req.headers['proxy-authorization'], options.auth)) {
      rawReply(socket, 407, 'proxy authentication required', [`Proxy-Authenticate: ${proxyAuthenticateValue()}`]);
      return;
    }
    const dest = parseAuthority(req.url ?? '');
    if (!dest) {
      rawReply(socket, 400, `malformed CONNECT target "${(req.url ?? '').slice(0, 200)}" (expected host:port)`);
      return;
    }
    if (!connectPortAllowed(dest.port, options.connectPorts)) {
      rawReply(socket, 403, `CONNECT to port ${dest.port} is not allowed (--connect-ports ${options.connectPorts.join(',')})`);
      return;
    }
    if (!destinationAllowed(dest.host, options.allowHosts, !options.public)) {
      rawReply(socket, 403, `destination "${dest.host}" is not allowed (${allowedWhere(options)})`);
      return;
    }

    inFlight++;
    let counted = true;
    const done = (): void => {
      if (counted) {
        counted = false;
        inFlight--;
      }
    };
    const upstream = net.connect({ host: dest.host, port: dest.port, allowHalfOpen: true, noDelay: true, lookup: lookupFor(dest.host, !options.public) });
    trackUpstream(upstream);
    let established = false;
    const connectTimer = setTimeout(() => {
      upstream.destroy();
      if (!established) rawReply(socket, 504, `${dest.host}:${dest.port} did not accept within ${options.upstreamTimeoutMs} ms`);
    }, options.upstreamTimeoutMs);

    upstream.once('connect', () => {
      clearTimeout(connectTimer);
      if (socket.destroyed) {
        upstream.destroy();
        return;
      }
      established = true;
      socket.write(`HTTP/1.1 200 Connection Established\r\nVia: ${VIA_HOP}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      // pipe() ends the destination when the source ends: a FIN travels through in each direction on its own
      socket.pipe(upstream);
      upstream.pipe(socket);
      // No byte either way for --tunnel-idle-timeout: an abandoned tunnel must not hold a child (or a descriptor
      // pair) forever. A no-progress timer, so a stalled proxy process does not cut a tunnel that kept moving.
      const closeBoth = (): void => {
        socket.destroy();
        upstream.destroy();
      };
      let idle = noProgressTimer(options.tunnelIdleTimeoutMs, closeBoth);
      const moved = (): void => idle.progress();
      socket.on('data', moved);
      upstream.on('data', moved);
      // Once one direction has ended, a peer that silently vanished would hold both sockets forever:
      // from then on the tunnel may idle no longer than --upstream-timeout.
      let bounded = false;
      const bound = (): void => {
        if (bounded) return;
        bounded = true;
        idle.clear();
        idle = noProgressTimer(Math.min(options.upstreamTimeoutMs, options.tunnelIdleTimeoutMs), closeBoth);
      };
      socket.once('end', bound);
      upstream.once('end', bound);
      socket.once('close', () => idle.clear());
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (!established) rawReply(socket, 502, `CONNECT ${dest.host}:${dest.port} failed: ${err.code ?? err.message}`);
      else socket.destroy();
    });
    // A side that closes on an error takes the other down at once; a side that closed cleanly already
    // passed its FIN on through pipe(), and the other closes once its own direction is done.
    upstream.once('close', (hadError) => {
      clearTimeout(connectTimer);
      if (hadError && established) socket.destroy();
    });
    // the tunnel is over when the client connection is gone, whichever way it went
    socket.once('close', (hadError) => {
      clearTimeout(connectTimer);
      if (hadError || !established) upstream.destroy();
      done();
    });
  }

  server.on('connection', (socket: net.Socket) => {
    const state = newClientState(socket);
    clients.set(socket, state);
    socket.once('close', () => {
      clients.delete(socket);
      // node:http never closes the responses it queued behind the one on the wire: settle them here
      state.pipeline.closeAll();
    });
    if (closing) socket.destroy();
  });
  server.on('request', onRequest);
  // Expect: 100-continue: the client waits for our word before sending its body. It gets 100 only once auth and
  // the destination policy have said yes; otherwise forwardRequest answers 407/403/… and the body is never sent.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (mayContinue(req)) res.writeContinue();
    onRequest(req, res);
  });
  server.on('connect', onConnect);
  // A request asking to Upgrade: without this listener node:http forwards it and silently drops whatever the client
  // pipelined behind it (the answers then pair with the wrong requests). Node 20 cannot decline an upgrade and
  // carry on parsing, so it is refused explicitly: 501 and close, after the answers owed before it; nothing is lost
  // unseen, the client knows its later requests went unanswered.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    const state = clients.get(socket);
    if (state) state.tunnel = true; // no longer HTTP to node:http
    socket.on('error', () => socket.destroy());
    const protocol = String(req.headers.upgrade ?? '').slice(0, 100);
    afterPending(state, () => rawReply(socket, 501, `protocol upgrade (to "${protocol}") is not supported by this proxy; the connection closes`));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const state = clients.get(socket);
    if (state?.failed) return; // the parser reports again on later bytes: one answer is enough
    if (state) state.failed = true;
    const code = err.code ?? 'parse error';
    const current = state?.current;
    if (current && !current.req.complete) {
      // the fault is in the body of the request being forwarded: drop the upstream side, answer this request
      current.abort();
      reply(current.req, current.res, 400, `malformed request body (${code})`, { connection: 'close' });
      return;
    }
    if (!state && (socket as unknown as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy(); // not one of ours (never counted): no way to keep the order of answers
      return;
    }
    // the fault is in a later request: earlier ones pipelined before it are answered first, in order
    afterPending(state, () => {
      if (err.code === 'HPE_HEADER_OVERFLOW' && overflowInRequestLine(err)) rawReply(socket, 414, `request line exceeds ${options.maxHeaderSize} bytes`);
      else if (err.code === 'HPE_HEADER_OVERFLOW') rawReply(socket, 431, `request header block exceeds ${options.maxHeaderSize} bytes`);
      else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') rawReply(socket, 408, `request headers not received within ${options.headersTimeoutMs} ms`);
      else if (err.code === 'HPE_INVALID_METHOD' && wellFormedRequestLine(err)) rawReply(socket, 501, `request method not implemented here (${code})`);
      else rawReply(socket, 400, `malformed request (${code})`);
    });
  });

  function serveSocket(socket: net.Socket): void {
    if (closing) {
      socket.destroy();
      return;
    }
    // a handed-over socket may have been created without half-open support; tunnels need it
    socket.allowHalfOpen = true;
    // nor did it pass through this server's accept, which is where `noDelay: true` applies
    socket.setNoDelay(true);
    if (!server.listening && !trackingStarted) {
      // node:http starts its headers-timeout checker on 'listening'; a server that never listens (a child
      // serving handed-over sockets) must start it so slow clients stay bounded there too
      trackingStarted = true;
      server.emit('listening');
    }
    server.emit('connection', socket);
    socket.resume();
  }

  async function close(graceMs: number): Promise<void> {
    if (closed) return closed;
    closing = true;
    closed = (async () => {
      server.close();
      // idle keep-alive connections have nothing in flight: let them go now
      for (const [socket, state] of clients) {
        if (state.active === 0 && !state.tunnel) socket.destroySoon();
      }
      const deadline = Date.now() + Math.max(0, graceMs);
      await waitUntil(() => inFlight === 0, deadline);
      for (const socket of clients.keys()) socket.destroySoon();
      await waitUntil(() => clients.size === 0, Math.min(deadline, Date.now() + 500));
      for (const socket of clients.keys()) socket.destroy();
      for (const socket of upstreams) socket.destroy();
      agent.destroy();
      // 'close' events follow destroy() asynchronously: resolve once the books are empty
      await waitUntil(() => clients.size === 0 && upstreams.size === 0, Date.now() + 1_000);
    })();
    return closed;
  }

  return {
    server,
    serveSocket,
    connections: () => clients.size,
    close,
  };
}

function waitUntil(done: () => boolean, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (done() || Date.now() >= deadline) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
}
