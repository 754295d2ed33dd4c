// What the forward proxy keeps of each client connection (forward.ts's books): the requests whose responses are
// pending, answers waiting their turn (RFC 9112 §9.3.2 order), whether it became a tunnel, and its pipeline of
// forwarded requests, whose backpressure pauses reading from it the way node:http itself does.
import type http from 'node:http';
import type net from 'node:net';
import { createConnectionPipeline, type ConnectionPipeline, type ConnectionReading } from '../pipeline.js';

export interface ClientState {
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

export function newClientState(socket: net.Socket): ClientState {
  return {
    active: 0,
    tunnel: false,
    current: null,
    whenIdle: [],
    failed: false,
    pipeline: createConnectionPipeline(connectionReading(socket)),
  };
}

/** `fn` now if nothing is pending on the connection, else once its last pending response has closed. */
export function afterPending(state: ClientState | undefined, fn: () => void): void {
  if (!state || state.active === 0) fn();
  else state.whenIdle.push(fn);
}
