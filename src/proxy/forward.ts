// HTTP/1.1 forward-proxy behaviour on a node:http Server: absolute-form http:// requests of every method with
// streamed bodies, CONNECT tunnels with half-close, hop-by-hop stripping, Via, policy, and a graceful close.
// Every strategy runs this one module: `inline` listens with `server`, children get sockets via serveSocket().
// Here: the server, its connections' books, pipelining order and the graceful close; forward/ holds the request
// path (admit.ts, exchange.ts), the tunnel (tunnel.ts), each connection's state (client-state.ts), the proxy's own
// answers and the parse-error mapping. createForwardProxy stays one closure: every path shares its books. Loaded by every
// per-connection child, so it imports only node:http, node:net and small modules of src/proxy and src/util.
import http from 'node:http';
import net from 'node:net';
import type { ProxyOptions } from './options.js';
import type { ForwardContext } from './forward/context.js';
import { afterPending, newClientState, type ClientState } from './forward/client-state.js';
import { mayContinue } from './forward/admit.js';
import { forwardRequest } from './forward/exchange.js';
import { parseErrorAnswer } from './forward/parse-errors.js';
import { rawReply, reply as replyWith } from './forward/replies.js';
import { openTunnel } from './forward/tunnel.js';

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

  const ctx: ForwardContext = {
    options,
    agent,
    closing: () => closing,
    trackUpstream,
    enter() {
      inFlight++;
      let counted = true;
      return () => {
        if (counted) {
          counted = false;
          inFlight--;
        }
      };
    },
  };
  const reply = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    message: string,
    extra?: Record<string, string>,
  ): void => replyWith(closing, req, res, status, message, extra);

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
        release = forwardRequest(ctx, req, res);
      } catch (err) {
        // a bug must cost one request, never the process
        reply(req, res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const cancel = (): void => release?.();
    if (state) state.current = { req, res, abort: cancel };
    // one 'close' listener per request (hot path): the pipeline starts the next waiting request from it
    let done = settle;
    if (state) done = state.pipeline.admit({ start, cancel, settle });
    else start();
    res.on('close', () => {
      release?.();
      done();
    });
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
        openTunnel(ctx, req, socket, head);
      } catch (err) {
        rawReply(socket, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
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
    if (mayContinue(options, req)) res.writeContinue();
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
    afterPending(state, () =>
      rawReply(socket, 501, `protocol upgrade (to "${protocol}") is not supported by this proxy; the connection closes`),
    );
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
      const answer = parseErrorAnswer(err, options);
      rawReply(socket, answer.status, answer.message);
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
