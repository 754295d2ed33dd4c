// How a child finishes a connection: like a classic fork server, by close()ing its descriptor once the
// response is flushed — no shutdown(SHUT_WR).
//
// Why it matters: node:http ends a `Connection: close` exchange with socket.end(), i.e. shutdown(SHUT_WR),
// which sends FIN even while another process still holds a copy of the socket. That would hide the
// forgotten parent close (the client sees EOF; only the master's fd count betrays it). With close(), the
// kernel sends FIN only when the last copy goes: with the master's copy released (the correct case) the
// client sees EOF at once; with the copy kept (the no-parent-close canary) the client sees no EOF at all —
// the symptom of the original bug. Trade-off: a half-close cannot be propagated (end means close), as in
// those servers. Except in CONNECT tunnels: once the socket is a tunnel it gets its native end() back, so
// a FIN can travel through in each direction on its own (half-close).
import type http from 'node:http';
import type net from 'node:net';
import { closeAfterDrain } from '../unread-body.js';

type Final = (cb: (err?: Error | null) => void) => void;

/** Restores native end() (shutdown) on sockets that become CONNECT tunnels on this server. */
export function keepHalfCloseInTunnels(server: http.Server): void {
  server.on('connect', (_req: http.IncomingMessage, socket: net.Socket) => {
    delete (socket as unknown as { _final?: Final })._final; // back to net.Socket.prototype._final
  });
}

export function closeLikeForkServer(socket: net.Socket): void {
  // Writable calls _final only after every pending write is flushed; skipping the shutdown and closing
  // right after is exactly write-everything-then-close(fd).
  (socket as unknown as { _final: Final })._final = (cb) => {
    cb();
    // a refused upload still arriving is drained first: close() with unread bytes would be a RST
    setImmediate(() => closeAfterDrain(socket, () => socket.destroy()));
  };
  // node:http ends a `Connection: close` exchange with destroySoon(), which would destroy at 'finish' and skip
  // the drain above: ending is enough, _final closes
  socket.destroySoon = () => void socket.end();
}
