// Where accepted connections wait while every child slot is taken.
//
// Node cannot stop accepting on a listening socket without closing it, and closing it resets everything in
// the kernel backlog. So at the cap the master keeps accepting (with pauseOnConnect: nothing is read, the
// request stays in the socket's kernel buffer) and parks the connection here, FIFO — the backlog moved
// into the master. It is bounded like a backlog: beyond `limit` a new connection is closed at once, which
// the client sees as a refused/reset connection, as with an overflowing kernel backlog. Each parked
// connection costs the master one descriptor, so the limit is also bounded by the descriptor limit (a
// quarter of RLIMIT_NOFILE): a master whose descriptors are all parked connections could not spawn the
// children that would drain them.
import type net from 'node:net';
import { ownNofileLimits } from '../../util/rlimit.js';

const BACKLOG_LIKE = 511; // the kernel's default listen backlog, for the same role

/** Bounded by the soft RLIMIT_NOFILE of this process (Linux /proc) when known. */
export function defaultQueueLimit(nofile = ownNofileLimits().soft): number {
  if (nofile === null) return BACKLOG_LIKE;
  return Math.max(4, Math.min(BACKLOG_LIKE, Math.floor(nofile / 4)));
}

export const DEFAULT_QUEUE_LIMIT = defaultQueueLimit();

export class AcceptQueue {
  private readonly items: net.Socket[] = [];
  private dropped = 0;

  constructor(readonly limit: number = DEFAULT_QUEUE_LIMIT) {}

  /** Parks a socket; false (and the socket is destroyed) when the queue is full. */
  push(socket: net.Socket): boolean {
    if (this.items.length >= this.limit) {
      this.dropped++;
      socket.destroy();
      return false;
    }
    this.items.push(socket);
    return true;
  }

  /** A new connection: straight to dispatch when nobody waits ahead of it and dispatch takes it, else parked. */
  offer(socket: net.Socket, dispatch: (socket: net.Socket) => boolean): void {
    if (this.items.length === 0 && dispatch(socket)) return;
    this.push(socket);
  }

  /**
   * Hands parked connections to dispatch, oldest first, until dispatch declines one (it keeps its turn at the
   * head) or stopped() is true; connections closed while parked are dropped.
   */
  drainTo(dispatch: (socket: net.Socket) => boolean, stopped: () => boolean): void {
    while (this.items.length > 0 && !stopped()) {
      const socket = this.items.shift() as net.Socket;
      if (socket.destroyed) continue;
      if (!dispatch(socket)) {
        this.items.unshift(socket);
        break;
      }
    }
  }

  /** Puts a socket back at the head (a spawn failed: it keeps its turn). */
  unshift(socket: net.Socket): void {
    this.items.unshift(socket);
  }

  /** Under descriptor exhaustion: close the longest-waiting connection (most likely abandoned). */
  shed(): boolean {
    const s = this.items.shift();
    if (!s) return false;
    this.dropped++;
    s.destroy();
    return true;
  }

  shift(): net.Socket | undefined {
    return this.items.shift();
  }

  get length(): number {
    return this.items.length;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** Closes every parked connection (shutdown: as the kernel resets a closed listener's backlog). */
  destroyAll(): number {
    const n = this.items.length;
    for (const s of this.items.splice(0)) s.destroy();
    return n;
  }
}
