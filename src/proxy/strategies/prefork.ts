// prefork: N long-lived workers started before the master listens. The master accepts (pauseOnConnect)
// and sends each socket over IPC to the least busy worker (fewest connections handed and not yet closed),
// which serves it (keep-alive included) and reports when it closes.
//
//   recycle   a worker that has been handed --max-connections-per-child connections gets no more: a
//             replacement is started, the old one is told to retire (finish what it has within the grace,
//             then exit). One recycle at a time, so the overlap is at most one process.
//   crash     a worker that dies unexpectedly is replaced (with backoff when it keeps dying young); the
//             handles it never confirmed are closed in the master (process/handle-ledger.ts), so its
//             clients see a closed connection and the master keeps nothing open.
//   at rest   when no worker is ready (all booting), connections wait in the bounded accept queue.
//   start-up  listen() boots the workers, then binds. If either fails (a worker dies booting, the port is
//             taken) every worker is ended and reaped before listen() rejects, so the master can exit 3 with
//             nothing left behind. shutdown() may come while listen() is still booting (SIGTERM during
//             start-up): booting workers serve nothing and are SIGTERMed at once, and listen() rejects.
//
// Pool rule (the `pool` line): resident = workers; cap = workers, +1 when recycling is on (the replacement
// boots while the retiring worker finishes its connections). The zombie canary's log sink counts as one more.
//
// Why one file of ~330 lines: one master's state machine over one set of workers (boot, dispatch, recycle,
// crash, shutdown); what it shares with cluster and per-connection lives in process/ (respawn backoff, control
// messages, accept queue, ledger, escalation).
import type { ChildProcess } from 'node:child_process';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createCanary, type Canary } from '../canary.js';
import type { ProxyOptions } from '../options.js';
import { AcceptQueue } from '../process/accept-queue.js';
import { drainThenTerminate, isRunning, signal, terminate } from '../process/escalate.js';
import { assertFaultSupported } from '../process/fault-support.js';
import { HandleLedger } from '../process/handle-ledger.js';
import { createPausedListener } from '../process/listener.js';
import { isToMaster, sendControl, type ToMaster } from '../process/messages.js';
import { Respawner } from '../process/respawn.js';
import { spawnChild } from '../process/spawn-child.js';
import type { PoolDeclaration } from '../protocol.js';
import type { Strategy } from './strategy.js';

/** A worker that has not said 'ready' by then is killed (and replaced, or listen() fails). */
const BOOT_TIMEOUT_MS = 15_000;
/** A retiring worker first lets just-handed connections get their request parsed, then closes. */
export const RETIRE_SETTLE_MS = 200;

interface Worker {
  proc: ChildProcess;
  ready: boolean;
  retiring: boolean;
  /** connections handed and not reported closed */
  inflight: number;
  /** connections handed in its lifetime */
  handed: number;
  ledger: HandleLedger;
  startedAt: number;
  bootTimer: NodeJS.Timeout | null;
}

export interface PreforkStats {
  live: number;
  peakLive: number;
  spawned: number;
  crashes: number;
  recycled: number;
  queued: number;
  unackedHandlesReleased: number;
  peakWorkerRssBytes: number;
}

export class PreforkStrategy implements Strategy {
  readonly name = 'prefork';
  private readonly workers: Worker[] = [];
  private readonly queue = new AcceptQueue();
  private readonly listener = createPausedListener((s) => this.onConnection(s), 'prefork');
  private readonly canary: Canary;
  private readonly keptCopies: net.Socket[] = []; // no-parent-close canary
  private shuttingDown = false;
  private connSeq = 0;
  private rr = 0;
  /** replaces crashed workers, backing off from the first young death (process/respawn.ts) */
  private readonly respawner = new Respawner(1);
  private readonly counters = { peakLive: 0, spawned: 0, crashes: 0, recycled: 0, unacked: 0, peakRss: 0 };

  constructor(private readonly options: ProxyOptions) {
    assertFaultSupported(options);
    this.canary = createCanary(options, 'prefork-master');
  }

  pool(): PoolDeclaration {
    const n = this.options.workers + this.canary.helperProcesses; // + the zombie canary's log sink
    return { resident: n, cap: n + (this.options.maxConnectionsPerChild > 0 ? 1 : 0) };
  }

  stats(): PreforkStats {
    return {
      live: this.workers.length,
      peakLive: this.counters.peakLive,
      spawned: this.counters.spawned,
      crashes: this.counters.crashes,
      recycled: this.counters.recycled,
      queued: this.queue.length,
      unackedHandlesReleased: this.counters.unacked,
      peakWorkerRssBytes: this.counters.peakRss,
    };
  }

  async listen(): Promise<AddressInfo> {
    try {
      const booted: Promise<void>[] = [];
      for (let i = 0; i < this.options.workers; i++) {
        const ready = this.whenReady(this.spawnWorker());
        ready.catch(() => {}); // observed here too: when spawnWorker() throws midway, Promise.all never sees these
        booted.push(ready);
      }
      await Promise.all(booted);
      if (this.shuttingDown) throw new Error('shut down during start-up');
      const address = await this.listener.listen(this.options.host, this.options.port);
      if (this.shuttingDown) throw new Error('shut down during start-up');
      return address;
    } catch (err) {
      await this.abortStart();
      throw err;
    }
  }

  /** listen() failed or was interrupted: end and reap every worker (and the canary's helper) before it rejects. */
  private async abortStart(): Promise<void> {
    this.shuttingDown = true;
    this.listener.stopAccepting();
    this.respawner.cancel();
    for (const w of this.workers) if (w.bootTimer) clearTimeout(w.bootTimer);
    this.queue.destroyAll();
    // idle (no connection was ever handed): nothing to finish, so no shutdown message, just the signal ladder
    const unreaped = await terminate(this.workers.map((w) => w.proc));
    if (unreaped.length) process.stderr.write(`handoff prefork: workers not reaped: ${unreaped.join(' ')}\n`);
    await this.canary.close();
  }

  async shutdown(graceMs: number): Promise<void> {
    this.listener.stopAccepting();
    if (this.canary.leavesChildrenOnShutdown) return; // the bug: workers are left to themselves
    this.shuttingDown = true;
    this.respawner.cancel();
    this.queue.destroyAll();
    for (const w of this.workers) {
      if (w.bootTimer) clearTimeout(w.bootTimer);
      // a worker still booting has no connection and may not listen for messages yet: stop it now
      if (w.ready) sendControl(w.proc, { t: 'shutdown', graceMs });
      else signal(w.proc, 'SIGTERM');
    }
    // workers bound their own close by graceMs (+500 ms); give them that before escalating
    const unreaped = await drainThenTerminate(() => this.workers.map((w) => w.proc), graceMs + 750);
    if (unreaped.length) process.stderr.write(`handoff prefork: workers not reaped: ${unreaped.join(' ')}\n`);
    await this.canary.close();
  }

  // --- connections ---

  private onConnection(socket: net.Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {});
    this.canary.onConnection();
    this.queue.offer(socket, (s) => this.tryDispatch(s));
  }

  private leastBusy(): Worker | null {
    let best: Worker | null = null;
    const n = this.workers.length;
    // start from a rotating index so equally idle workers share the load
    for (let k = 0; k < n; k++) {
      const w = this.workers[(this.rr + k) % n];
      if (!w.ready || w.retiring || !w.proc.connected) continue;
      if (!best || w.inflight < best.inflight) best = w;
    }
    this.rr = (this.rr + 1) % Math.max(1, n);
    return best;
  }

  private tryDispatch(socket: net.Socket): boolean {
    const w = this.leastBusy();
    if (!w) return false;
    const id = ++this.connSeq;
    w.inflight++;
    w.handed++;
    const keepOpen = this.canary.keepsParentCopy();
    if (keepOpen) this.keptCopies.push(socket);
    w.ledger.send(w.proc, id, socket, keepOpen, () => {
      w.inflight--;
    });
    this.maybeRecycle();
    return true;
  }

  private drainQueue(): void {
    this.queue.drainTo(
      (s) => this.tryDispatch(s),
      () => this.shuttingDown,
    );
  }

  // --- workers ---

  private spawnWorker(): Worker {
    const proc = spawnChild('worker', this.options).proc;
    const w: Worker = {
      proc,
      ready: false,
      retiring: false,
      inflight: 0,
      handed: 0,
      ledger: new HandleLedger(),
      startedAt: Date.now(),
      bootTimer: null,
    };
    this.workers.push(w);
    this.counters.spawned++;
    this.counters.peakLive = Math.max(this.counters.peakLive, this.workers.length);
    w.bootTimer = setTimeout(() => {
      if (!w.ready) void terminate([proc]);
    }, BOOT_TIMEOUT_MS);
    proc.on('message', (m: unknown) => {
      if (isToMaster(m)) this.onWorkerMessage(w, m);
    });
    proc.on('exit', () => this.onWorkerGone(w));
    proc.on('error', () => {
      if (proc.pid === undefined) this.onWorkerGone(w);
    });
    return w;
  }

  private whenReady(w: Worker): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: unknown): void => {
        if (isToMaster(m) && m.t === 'ready') {
          w.proc.off('exit', onExit);
          w.proc.off('message', onMsg);
          resolve();
        }
      };
      const onExit = (code: number | null, sig: string | null): void => {
        w.proc.off('message', onMsg);
        reject(new Error(`prefork worker exited while booting (code ${code}, signal ${sig})`));
      };
      w.proc.on('message', onMsg);
      w.proc.once('exit', onExit);
    });
  }

  private onWorkerMessage(w: Worker, m: ToMaster): void {
    switch (m.t) {
      case 'ready':
        w.ready = true;
        if (w.bootTimer) clearTimeout(w.bootTimer);
        this.drainQueue();
        break;
      case 'got':
        w.ledger.got(m.id);
        break;
      case 'closed':
        w.inflight = Math.max(0, w.inflight - 1);
        break;
      case 'stats':
        this.counters.peakRss = Math.max(this.counters.peakRss, m.rssBytes);
        break;
      case 'done':
        break;
    }
  }

  /** Starts one recycle when a worker has reached --max-connections-per-child and none is under way. */
  private maybeRecycle(): void {
    const max = this.options.maxConnectionsPerChild;
    if (max <= 0 || this.shuttingDown || this.workers.some((w) => w.retiring)) return;
    const due = this.workers.find((w) => w.ready && w.handed >= max);
    if (!due) return;
    try {
      this.spawnWorker();
    } catch {
      return; // cannot start a replacement now (EMFILE…): keep the old one serving, retry on the next handoff
    }
    due.retiring = true;
    this.counters.recycled++;
    // let connections just handed to it get their request parsed before it stops taking new requests
    setTimeout(() => sendControl(due.proc, { t: 'retire', graceMs: this.options.shutdownGraceMs }), RETIRE_SETTLE_MS);
    // the retire message is a request: the linger deadline makes it an obligation
    setTimeout(
      () => {
        if (isRunning(due.proc)) void terminate([due.proc]);
      },
      RETIRE_SETTLE_MS + this.options.shutdownGraceMs + 1_000,
    );
  }

  private onWorkerGone(w: Worker): void {
    const i = this.workers.indexOf(w);
    if (i < 0) return;
    this.workers.splice(i, 1);
    if (w.bootTimer) clearTimeout(w.bootTimer);
    this.counters.unacked += w.ledger.releaseAll();
    if (this.shuttingDown) return;
    if (w.retiring) {
      this.maybeRecycle();
    } else {
      this.counters.crashes++;
      this.respawner.died(w.startedAt);
      this.respawner.schedule(() => this.respawn());
    }
    this.drainQueue();
  }

  /** Back to --workers serving (retiring ones not counted); a failed start backs off and tries again. */
  private respawn(): void {
    if (this.shuttingDown) return;
    const missing = this.options.workers - this.workers.filter((w) => !w.retiring).length;
    for (let k = 0; k < missing; k++) {
      try {
        this.spawnWorker();
      } catch (err) {
        // EMFILE / EAGAIN: try again later
        process.stderr.write(`handoff prefork: respawn failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
        this.respawner.failed();
        this.respawner.schedule(() => this.respawn());
        break;
      }
    }
  }
}

export function createStrategy(options: ProxyOptions): Strategy {
  return new PreforkStrategy(options);
}
