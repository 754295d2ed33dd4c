// What the request and tunnel paths share with the proxy that owns them: its options, its origin pool, its books
// (in-flight work, upstream sockets) and whether it is closing. One small interface, so each path is its own file.
import type http from 'node:http';
import type net from 'node:net';
import type { ProxyOptions } from '../options.js';

export interface ForwardContext {
  readonly options: ProxyOptions;
  /** keep-alive pool towards origins */
  readonly agent: http.Agent;
  /** the proxy is shutting down */
  closing(): boolean;
  /** a socket opened towards an origin or CONNECT destination: tracked so close() can destroy it */
  trackUpstream(socket: net.Socket): void;
  /** one unit of in-flight work began; the returned function ends it (once) */
  enter(): () => void;
}

/** What the destination policy allows, for a 403's message. */
export function allowedWhere(options: ProxyOptions): string {
  return options.public ? '--public: only what --allow-host lists; this host only when named exactly' : 'loopback only unless --allow-host';
}
