// A CONNECT tunnel: policy first (auth, target form, port, destination), then a TCP connection to the destination,
// bytes piped both ways with half-close, an idle (no-progress) timer, and a tighter bound once one side has ended.
import type http from 'node:http';
import net from 'node:net';
import { lookupFor } from '../loopback-lookup.js';
import { noProgressTimer } from '../../util/no-progress-timer.js';
import { connectPortAllowed, destinationAllowed, parseAuthority, proxyAuthenticateValue, proxyAuthorized } from '../policy.js';
import { allowedWhere, type ForwardContext } from './context.js';
import { rawReply, VIA_HOP } from './replies.js';

/** Opens the tunnel a CONNECT asked for (or refuses it with a status), on a socket the HTTP parser let go of. */
export function openTunnel(ctx: ForwardContext, req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
  const { options } = ctx;
  if (ctx.closing()) {
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

  const done = ctx.enter();
  const upstream = net.connect({
    host: dest.host,
    port: dest.port,
    allowHalfOpen: true,
    noDelay: true,
    lookup: lookupFor(dest.host, !options.public),
  });
  ctx.trackUpstream(upstream);
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
