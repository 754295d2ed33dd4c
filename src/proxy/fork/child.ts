// What a freshly forked child does before serving: drop everything of the zygote's it inherited (listener,
// queued sockets, signal handlers, the reaper), then serve its one connection and _exit when it closes.
import type net from 'node:net';
import type { ForkAddon } from './addon.js';

/**
 * Close the connection the classic way once the response is out: close() without shutdown(). The client sees
 * EOF only when the last copy of the socket is gone, so a zygote that forgot its copy shows (handoff-eof).
 */
export function closeTheClassicWay(socket: net.Socket): void {
  const closeWhenFlushed = (): void => {
    if (socket.destroyed) return;
    // writableLength counts bytes not yet handed to the kernel; 0 means the response is flushed
    if (socket.writableLength === 0) socket.destroy();
    else setTimeout(closeWhenFlushed, 1);
  };
  // node:http calls destroySoon() when a response ends a non-keep-alive connection (it would end() = FIN)
  socket.destroySoon = closeWhenFlushed;
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

export function becomeChild(setup: ChildSetup): void {
  const { addon, socket } = setup;
  // Node caches process.pid: the child would report the zygote's
  Object.defineProperty(process, 'pid', { value: addon.getpid(), configurable: true, enumerable: true });
  setup.release();
  // SIGTERM, SIGINT and SIGCHLD were reset to their default disposition by forkChild (C): the zygote's JS
  // listeners stay registered but never fire here.
  if (!setup.stall) socket.once('close', () => addon.exitNow(0));
  closeTheClassicWay(socket);
  setup.serve(socket);
}
