// Passing accepted sockets over IPC without leaking the master's copy.
//
// `subprocess.send(msg, socket)` detaches the socket's handle at once and closes it only when the child's
// NODE_HANDLE_ACK comes back. If the child dies first (crash, kill -9, OOM) the ack never comes and Node
// keeps the descriptor forever (nodejs/node#19433, still open): the client never sees EOF, the master's fd
// count grows. Checked on this machine: a child SIGKILLed with the handle in flight leaves the accepted
// socket (and the IPC socketpair) open in the master; closing the kept handle releases both and the client
// gets ECONNRESET. So the master remembers every handle until the child says it got it, and closes what
// is left when the child is gone. Closing a handle Node already closed after the ack is a no-op.
import type { ChildProcess } from 'node:child_process';
import type net from 'node:net';
import type { ToChild } from './messages.js';

interface RawHandle {
  close(cb?: () => void): void;
}
/** node:net keeps the libuv handle in `_handle`; send() nulls it, so it must be read before. */
const rawHandle = (s: net.Socket): RawHandle | null => (s as unknown as { _handle: RawHandle | null })._handle;

interface Pending {
  socket: net.Socket;
  handle: RawHandle | null;
}

function release(p: Pending): void {
  if (rawHandle(p.socket))
    p.socket.destroy(); // still queued in Node: the socket owns its handle
  else p.handle?.close(); // already sent: close the detached handle (no-op if the ack closed it)
}

export class HandleLedger {
  private readonly pending = new Map<number, Pending>();

  /**
   * Sends `socket` to `proc` as message {t:'conn', id}. With keepOpen the master keeps its own copy (that
   * is the no-parent-close canary) and nothing is tracked. Calls onFailed when the send itself failed
   * (channel already closed): the socket has then been released.
   */
  send(proc: ChildProcess, id: number, socket: net.Socket, keepOpen: boolean, onFailed?: (err: Error) => void): void {
    const entry: Pending = { socket, handle: rawHandle(socket) };
    if (!keepOpen) this.pending.set(id, entry);
    const msg: ToChild = { t: 'conn', id };
    try {
      proc.send(msg, socket, { keepOpen }, (err) => {
        if (!err) return;
        this.pending.delete(id);
        if (!keepOpen) release(entry);
        onFailed?.(err);
      });
    } catch (err) {
      // ERR_IPC_CHANNEL_CLOSED is thrown synchronously when the channel is already gone
      this.pending.delete(id);
      if (!keepOpen) release(entry);
      onFailed?.(err as Error);
    }
  }

  /** The child reported the handle arrived: Node has (or will have) closed our copy on the ack. */
  got(id: number): void {
    this.pending.delete(id);
  }

  /** The child is gone: close every copy it never confirmed. Returns how many were released. */
  releaseAll(): number {
    const n = this.pending.size;
    for (const p of this.pending.values()) release(p);
    this.pending.clear();
    return n;
  }

  get size(): number {
    return this.pending.size;
  }
}
