// What a freshly forked child does before serving: drop everything of the zygote's it inherited (listener,
// queued sockets, signal handlers, the reaper), then serve its one connection and _exit when it closes.
import type net from 'node:net';
import { closeAfterDrain } from '../unread-body.js';
import { optimiseIfLongLived } from './tiering.js';
import type { ForkAddon } from '../../native/addon.js';

/**
 * Close the connection the classic way once the response is out: close() without shutdown(). The client sees
 * EOF only when the last copy of the socket is gone, so a zygote that forgot its copy shows (handoff-eof).
 */
export function closeTheClassicWay(socket: net.Socket): void {
  const destroy = (): void => void socket.destroy();
  const closeWhenFlushed = (): void => {
    if (socket.destroyed) return;
    // writableLength counts bytes not yet handed to the kernel; 0 means the response is flushed
    // (a refused upload still arriving is drained first: close() with unread bytes would be a RST)
    if (socket.writableLength === 0) closeAfterDrain(socket, destroy);
    else setTimeout(closeWhenFlushed, 1);
  };
  // node:http calls destroySoon() when a response ends a non-keep-alive connection (it would end() = FIN)
  socket.destroySoon = closeWhenFlushed;
}

/**
 * Everything a child does to its connection before serving it. The zygote's warm-up does exactly the same to
 * its rehearsal sockets, so the code it optimises sees the shapes children will see (no deopt per child).
 */
export function adoptConnection(socket: net.Socket, onClosed: () => void): void {
  socket.once('close', onClosed);
  closeTheClassicWay(socket);
}

/**
 * Node caches process.pid, which a forked child would inherit. Made a getter once, in the zygote: redefining
 * it in each child would change the process object's shape there and deoptimise code that depends on it.
 */
export function livePid(addon: ForkAddon): void {
  Object.defineProperty(process, 'pid', { get: () => addon.getpid(), configurable: true, enumerable: true });
}

export interface ChildSetup {
  addon: ForkAddon;
  socket: net.Socket;
  /** every handle of the zygote the child must close: the listener, queued connections */
  release: () => void;
  serve: (socket: net.Socket) => void;
  /** the child-stall canary: never exit after the connection ends */
  stall: boolean;
}

const stayAlive = (): void => undefined;

export function becomeChild(setup: ChildSetup): void {
  const { addon, socket } = setup;
  optimiseIfLongLived();
  setup.release();
  // SIGTERM, SIGINT and SIGCHLD were reset to their default disposition by forkChild (C): the zygote's JS
  // listeners stay registered but never fire here.
  adoptConnection(socket, setup.stall ? stayAlive : () => addon.exitNow(0));
  setup.serve(socket);
}
