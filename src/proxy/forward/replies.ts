// The proxy's own answers: a status with a one-line reason, on a response (reply) or straight onto a socket the
// HTTP parser no longer owns (rawReply: parse errors, CONNECT). An answer that leaves a request body unread closes
// the connection after draining it.
import http from 'node:http';
import type net from 'node:net';
import { VIA_PSEUDONYM } from '../headers.js';
import { closeAfterDrain, markUnreadBody } from '../unread-body.js';

export const VIA_HOP = `1.1 ${VIA_PSEUDONYM}`;

function statusText(status: number): string {
  return http.STATUS_CODES[status] ?? 'Error';
}

function errorBody(status: number, message: string): string {
  return `${status} ${statusText(status)}: ${message}\n`;
}

/** True when the request announces a body (which an early error answer leaves unread). */
export function announcesBody(req: http.IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

/** An answer written straight onto a socket the HTTP parser no longer owns (clientError, CONNECT). */
export function rawReply(socket: net.Socket, status: number, message: string, extra: string[] = []): void {
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

/** An error answer to an HTTP request (`closing`: the proxy is shutting down, say Connection: close). */
export function reply(
  closing: boolean,
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
