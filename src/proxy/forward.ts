// STUB — replaced by the proxy work (issue 2). Signature is the contract strategies code against.
import http from 'node:http';
import type net from 'node:net';
import type { ProxyOptions } from './options.js';

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

export function createForwardProxy(_options: ProxyOptions, _hooks: ForwardHooks = {}): ForwardProxy {
  throw new Error('forward proxy not implemented yet');
}
