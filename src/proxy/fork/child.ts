// What a freshly forked child does before serving: drop everything of the zygote's it inherited (listener,
// queued sockets, signal handlers, the reaper), then serve its one connection and _exit when it closes.
import type net from 'node:net';
import { closeAfterDrain } from '../unread-body.js';
import { OPTIMISE_AFTER_MS, optimiseIfLongLived } from './tiering.js';
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

/** What every child of one zygote shares: built once in the zygote, so no child creates its object's shape anew. */
export interface ChildSetup {
  addon: ForkAddon;
  /** every handle of the zygote the child must close: the listener, queued connections */
  release: () => void;
  serve: (socket: net.Socket) => void;
}

const stayAlive = (): void => undefined;

/** `stall`: the child-stall canary, never exit after the connection ends. */
export function becomeChild(setup: ChildSetup, socket: net.Socket, stall: boolean): void {
  const { addon } = setup;
  optimiseIfLongLived();
  setup.release();
  // SIGTERM, SIGINT and SIGCHLD were reset to their default disposition by forkChild (C): the zygote's JS
  // listeners stay registered but never fire here.
  adoptConnection(socket, stall ? stayAlive : () => addon.exitNow(0));
  setup.serve(socket);
}

/**
 * For a field only children change (the zygote's role, its stopping flag): store the child's value once and put
 * the zygote's back. V8 treats a field as constant until a different value is stored in it, and that first store
 * generalises the object's map (an IC miss into the runtime, a descriptor update); made in the zygote, it is not
 * repeated in every child.
 */
export function mutableBeforeForking(target: object, field: string, childValue: unknown): void {
  const zygoteValue: unknown = Reflect.get(target, field);
  if (zygoteValue === undefined) throw new TypeError(`mutableBeforeForking: ${field} is not a field of this object`);
  Reflect.set(target, field, childValue);
  Reflect.set(target, field, zygoteValue);
}

/** How many distinct timer durations the zygote rehearses: enough for V8 to compile node's timer-list code. */
const TIMER_REHEARSALS = 64;

/**
 * A child arms a timer whose duration no zygote timer has (optimiseIfLongLived) and clears the reaper's interval:
 * node's timer lists and their priority queue, which the warm zygote seldom touches, ran interpreted with cold
 * inline caches in every child. Rehearsed here, in the zygote, with the same calls.
 */
export function rehearseChildTimers(): void {
  const noop = (): void => undefined;
  for (let i = 0; i < TIMER_REHEARSALS; i++) {
    const timer = setTimeout(noop, OPTIMISE_AFTER_MS + i + 1);
    timer.unref();
    clearTimeout(timer);
    const interval = setInterval(noop, OPTIMISE_AFTER_MS + i + 1);
    interval.unref();
    clearInterval(interval);
  }
}
