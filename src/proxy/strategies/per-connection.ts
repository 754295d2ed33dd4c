// per-connection: the seed's model. The master accepts (pauseOnConnect), starts one child per
// connection, hands the socket over and releases its own copy; the child serves that connection (all its
// keep-alive requests), then exits.
//
//   --handoff ipc    the socket travels over the IPC channel; Node closes the master's copy on the child's
//                    ack, and process/handle-ledger.ts closes it when the child dies before acking.
//   --handoff stdio  the socket is the child's fd 3, inherited at spawn; the master destroys its own copy
//                    on 'spawn' (the literal fork-and-close model).
//   --max-children   cap of live children. At the cap the master keeps accepting but parks connections in a
//                    bounded FIFO (process/accept-queue.ts explains why not close the listener): the cap
//                    is never exceeded, the backlog semantics are kept.
//   --spares N       N children booted ahead of demand (ipc only: an inherited fd exists only at spawn);
//                    each takes exactly one connection, the master tops the pool back up. At most
//                    --max-children (a usage error beyond, as with fork).
//   linger           a child still alive childLingerMs after its connection ended is terminated
//                    (SIGTERM, then SIGKILL) and reaped.
//
// Pool rule (the `pool` line): resident = spares (idle children are legitimate), cap = maxChildren +
// spares (every live child, busy or spare, counts; the master never has more). The orphan-on-shutdown
// canary keeps at least one spare, so that a child is alive to be orphaned even when SIGTERM comes
// between connections; its declared pool includes it. So does the zombie canary's log sink (a live child).
//
// Why one file of ~370 lines: it is one master's state machine over one set of children (spawn → ready →
// handoff → done → linger → gone), and the spares are the same children under the same cap; the parts it
// shares with prefork and cluster live in process/ (accept queue, ledger, escalation, control messages).
import type { ChildProcess } from 'node:child_process';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../../util/errors.js';
import { createCanary, type Canary } from '../canary.js';
import type { ProxyOptions } from '../options.js';
import { AcceptQueue } from '../process/accept-queue.js';
import { drainThenTerminate, isRunning, terminate } from '../process/escalate.js';
import { assertFaultSupported } from '../process/fault-support.js';
import { HandleLedger } from '../process/handle-ledger.js';
import { createPausedListener } from '../process/listener.js';
import { isToMaster, sendControl, type ToChild, type ToMaster } from '../process/messages.js';
import { spawnChild } from '../process/spawn-child.js';
import type { PoolDeclaration } from '../protocol.js';
import type { Strategy } from './strategy.js';

/** After a failed spawn (EMFILE, EAGAIN), wait this long before trying again. */
const SPAWN_RETRY_MS = 100;
/**
 * A spare just took a connection while another ready spare remains: its replacement is started once that
 * connection is done (the child's 'done'), at the latest after this long. A Node boot is ≈ 60 ms of CPU on
 * one of 2 cores; started at the moment of the handoff it competed with the connection being served
 * (measured: paced c=1 p50 5.7 → 4.6 ms, p99 11.7 → 6.2 ms).
 */
const SPARE_REFILL_DEFER_MS = 50;

interface Child {
  proc: ChildProcess;
  /** booted ahead of demand */
  spare: boolean;
  /** 'ready' received: the IPC listener is attached, a handle may be sent */
  ready: boolean;
  /** the connection assigned to it */
  socket: net.Socket | null;
  /** the socket has left the master (sent over IPC, or inherited) */
  handedOff: boolean;
  connId: number;
  ledger: HandleLedger;
  linger: NodeJS.Timeout | null;
  rssBytes: number;
}

export interface PerConnectionStats {
  live: number;
  peakLive: number;
  spawned: number;
  queued: number;
  droppedAtQueueLimit: number;
  spawnFailures: number;
  lingerKills: number;
  unackedHandlesReleased: number;
  peakChildRssBytes: number;
}

export class PerConnectionStrategy implements Strategy {
  readonly name = 'per-connection';
  private readonly children = new Set<Child>();
  private readonly queue = new AcceptQueue();
  private readonly listener = createPausedListener((s) => this.onConnection(s), 'per-connection');
  private readonly canary: Canary;
  private readonly spares: number;
  private readonly cap: number;
  /** no-parent-close canary: the master's copies it "keeps track of" and never releases */
  private readonly keptCopies: net.Socket[] = [];
  private shuttingDown = false;
  private spawnBlockedUntil = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private refillTimer: NodeJS.Timeout | null = null;
  private connSeq = 0;
  private readonly counters = { peakLive: 0, spawned: 0, spawnFailures: 0, lingerKills: 0, unacked: 0, peakRss: 0 };

  constructor(private readonly options: ProxyOptions) {
    assertFaultSupported(options);
    if (options.handoff === 'stdio' && options.spares > 0) {
      throw new UsageError('--spares needs --handoff ipc: an inherited descriptor can only be given at spawn');
    }
    if (options.spares > options.maxChildren) {
      // spares are started on top of the cap: a pool larger than the cap of busy children is a typo, not a pool
      throw new UsageError(
        `--spares ${options.spares} exceeds --max-children ${options.maxChildren}: with --strategy per-connection, spares may not outnumber the cap`,
      );
    }
    this.canary = createCanary(options, 'per-connection-master');
    this.spares = this.canary.leavesChildrenOnShutdown ? Math.max(1, options.spares) : options.spares;
    this.cap = options.maxChildren + this.spares;
  }

  pool(): PoolDeclaration {
    const helpers = this.canary.helperProcesses; // the zombie canary's log sink
    return { resident: this.spares + helpers, cap: this.cap + helpers };
  }

  stats(): PerConnectionStats {
    return {
      live: this.children.size,
      peakLive: this.counters.peakLive,
      spawned: this.counters.spawned,
      queued: this.queue.length,
      droppedAtQueueLimit: this.queue.droppedCount,
      spawnFailures: this.counters.spawnFailures,
      lingerKills: this.counters.lingerKills,
      unackedHandlesReleased: this.counters.unacked,
      peakChildRssBytes: this.counters.peakRss,
    };
  }

  async listen(): Promise<AddressInfo> {
    let address: AddressInfo;
    try {
      address = await this.listener.listen(this.options.host, this.options.port);
    } catch (err) {
      // no child exists yet; the zombie canary's log sink does, and would keep the master alive after exit 3
      this.shuttingDown = true;
      await this.canary.close();
      throw err;
    }
    this.topUpSpares();
    return address;
  }

  async shutdown(graceMs: number): Promise<void> {
    this.listener.stopAccepting();
    if (this.canary.leavesChildrenOnShutdown) return; // the bug: children are left to themselves
    this.shuttingDown = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.refillTimer) clearTimeout(this.refillTimer);
    // Parked connections never reached a server: reset them, as a closed listener resets its backlog.
    this.queue.destroyAll();
    const msg: ToChild = { t: 'shutdown', graceMs };
    for (const c of this.children) sendControl(c.proc, msg);
    const live = (): ChildProcess[] => [...this.children].map((c) => c.proc);
    const unreaped = await drainThenTerminate(live, graceMs);
    if (unreaped.length) process.stderr.write(`handoff per-connection: children not reaped: ${unreaped.join(' ')}\n`);
    for (const c of this.children) if (c.linger) clearTimeout(c.linger);
    await this.canary.close();
  }

  // --- accepting and dispatching ---

  private onConnection(socket: net.Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {}); // a parked client may reset; never let that crash the master
    this.canary.onConnection();
    this.queue.offer(socket, (s) => this.tryDispatch(s));
  }

  /** Gives the socket to a spare or to a new child; false when at the cap (or spawning is failing). */
  private tryDispatch(socket: net.Socket): boolean {
    const spare = this.freeSpare();
    if (spare) {
      this.assign(spare, socket);
      if (spare.ready && this.readySpares() > 0) this.deferRefill();
      else this.topUpSpares();
      return true;
    }
    if (!this.canSpawn()) return false;
    return this.spawn(socket) !== null;
  }

  private drainQueue(): void {
    this.queue.drainTo(
      (s) => this.tryDispatch(s),
      () => this.shuttingDown,
    );
  }

  /** Tops the pool up after SPARE_REFILL_DEFER_MS unless a child's 'done' or exit does it sooner. */
  private deferRefill(): void {
    this.refillTimer ??= setTimeout(() => {
      this.refillTimer = null;
      this.topUpSpares();
    }, SPARE_REFILL_DEFER_MS);
  }

  /** Keeps `spares` unassigned children alive, within the cap; queued connections come first. */
  private topUpSpares(): void {
    if (this.refillTimer) {
      clearTimeout(this.refillTimer);
      this.refillTimer = null;
    }
    while (this.queue.length === 0 && this.unassignedSpares() < this.spares && this.canSpawn()) {
      if (!this.spawn(null)) break;
    }
  }

  private canSpawn(): boolean {
    return !this.shuttingDown && this.children.size < this.cap && Date.now() >= this.spawnBlockedUntil;
  }

  private freeSpare(): Child | null {
    let booting: Child | null = null;
    for (const c of this.children) {
      if (!c.spare || c.socket) continue;
      if (c.ready) return c; // a booted one first
      booting ??= c; // else one already on its way up beats a new process
    }
    return booting;
  }

  private readySpares(): number {
    let n = 0;
    for (const c of this.children) if (c.spare && c.ready && !c.socket) n++;
    return n;
  }

  private unassignedSpares(): number {
    let n = 0;
    for (const c of this.children) if (c.spare && !c.socket) n++;
    return n;
  }

  // --- children ---

  private spawn(socket: net.Socket | null): Child | null {
    const stdio = this.options.handoff === 'stdio';
    let proc: ChildProcess;
    try {
      proc = spawnChild('per-connection', this.options, stdio && socket ? socket : undefined, socket === null).proc;
    } catch (err) {
      this.spawnFailed(err as Error);
      return null;
    }
    const child: Child = {
      proc,
      spare: socket === null,
      ready: false,
      socket: null,
      handedOff: false,
      connId: 0,
      ledger: new HandleLedger(),
      linger: null,
      rssBytes: 0,
    };
    this.children.add(child);
    this.counters.spawned++;
    this.counters.peakLive = Math.max(this.counters.peakLive, this.children.size);
    proc.on('message', (m: unknown) => {
      if (isToMaster(m)) this.onChildMessage(child, m);
    });
    proc.on('exit', () => this.onChildGone(child));
    proc.on('error', (err) => {
      if (proc.pid === undefined) {
        // spawn failed asynchronously: there will be no 'exit'
        this.spawnFailed(err);
        this.onChildGone(child);
      }
    });
    if (socket && stdio) {
      child.socket = socket;
      child.connId = ++this.connSeq;
      // until 'spawn' the socket is still only ours: a failed spawn puts it back in the queue
      proc.once('spawn', () => {
        child.handedOff = true;
        // The child has its own descriptor now. Forgetting this destroy() is the seed's bug.
        if (this.canary.keepsParentCopy()) this.keptCopies.push(socket);
        else socket.destroy();
      });
    } else if (socket) {
      this.assign(child, socket);
    }
    return child;
  }

  private spawnFailed(err: Error): void {
    this.counters.spawnFailures++;
    // Out of descriptors with connections parked: those hold the descriptors a child needs. Shed the
    // longest-waiting one (libuv does the same at accept with its reserve fd) so draining can resume.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EMFILE' || code === 'ENFILE') this.queue.shed();
    this.spawnBlockedUntil = Date.now() + SPAWN_RETRY_MS;
    if (this.counters.spawnFailures === 1 || this.counters.spawnFailures % 100 === 0) {
      process.stderr.write(`handoff per-connection: spawn failed (${(err as NodeJS.ErrnoException).code ?? err.message}); retrying\n`);
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.shuttingDown) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.drainQueue();
      this.topUpSpares();
    }, SPAWN_RETRY_MS);
  }

  private assign(child: Child, socket: net.Socket): void {
    child.socket = socket;
    child.connId = ++this.connSeq;
    if (child.ready) this.handOff(child);
  }

  private handOff(child: Child): void {
    const socket = child.socket;
    if (!socket || child.handedOff || this.options.handoff !== 'ipc') return;
    child.handedOff = true;
    const keepOpen = this.canary.keepsParentCopy();
    if (keepOpen) this.keptCopies.push(socket);
    child.ledger.send(child.proc, child.connId, socket, keepOpen);
  }

  private onChildMessage(child: Child, m: ToMaster): void {
    switch (m.t) {
      case 'ready':
        child.ready = true;
        if (child.socket) this.handOff(child);
        else this.drainQueue();
        break;
      case 'got':
        child.ledger.got(m.id);
        break;
      case 'done':
        this.startLinger(child);
        this.topUpSpares();
        break;
      case 'stats':
        child.rssBytes = m.rssBytes;
        this.counters.peakRss = Math.max(this.counters.peakRss, m.rssBytes);
        break;
      case 'closed':
        break;
    }
  }

  /** The child said its connection is over; it must be gone within childLingerMs. */
  private startLinger(child: Child): void {
    if (child.linger || this.shuttingDown) return;
    child.linger = setTimeout(() => {
      if (!isRunning(child.proc)) return;
      this.counters.lingerKills++;
      void terminate([child.proc]);
    }, this.options.childLingerMs);
  }

  private onChildGone(child: Child): void {
    if (!this.children.delete(child)) return;
    if (child.linger) clearTimeout(child.linger);
    // Handles sent but never confirmed (child died before its ack): close the master's copies.
    this.counters.unacked += child.ledger.releaseAll();
    // A connection that never left the master (the child died while booting) gets another child.
    if (child.socket && !child.handedOff && !child.socket.destroyed && !this.shuttingDown) this.queue.unshift(child.socket);
    this.drainQueue();
    this.topUpSpares();
  }
}

export function createStrategy(options: ProxyOptions): Strategy {
  return new PerConnectionStrategy(options);
}
