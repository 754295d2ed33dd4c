// cluster: node:cluster workers sharing one listener. On Linux the primary accepts and passes each
// handle round-robin to a worker (closing its own copy once the worker accepted it — Node's own handoff);
// the workers run the forward proxy's http.Server on the shared handle. A worker that dies is replaced
// (with backoff when it keeps dying young). Shutdown: every worker closes its server (the shared listener
// closes with the last one), finishes in-flight work within the grace, exits; stragglers get SIGTERM, then
// SIGKILL; the primary returns once every worker has been reaped.
//
// Pool rule (the `pool` line): resident = cap = workers (no recycling: --max-connections-per-child is a
// prefork option).
//
// Scheduling: SCHED_NONE (workers accept from the shared listener themselves). With the default round-robin
// policy the primary accepts and sends each handle to a worker; a worker killed with handles in flight leaves
// the primary holding those client sockets in CLOSE_WAIT forever (nodejs/node#19433) — handoff's chaos suite
// caught exactly that (sockets-drained failed on cluster). With SCHED_NONE there is no per-connection handoff.
//
// Start-up: a worker whose listen fails (the primary could not bind: EADDRINUSE…) reports the code over IPC
// ('listen-failed') and exits quietly; listen() rejects with that code once every worker is reaped.
// shutdown() may come while listen() is still waiting (SIGTERM during start-up): workers that are not
// listening yet serve nothing and are SIGTERMed at once.
//
// Known limit: the shared listener belongs to node:cluster, which closes it when the last worker is gone;
// if every worker dies at once, connections are refused until a replacement listens again (same port).
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { createCanary, type Canary } from '../canary.js';
import type { ProxyOptions } from '../options.js';
import { drainThenTerminate, signal } from '../process/escalate.js';
import { assertFaultSupported } from '../process/fault-support.js';
import { OPTIONS_ENV, isToMaster, sendControl, type ToChild } from '../process/messages.js';
import { Respawner } from '../process/respawn.js';
import { childEntryPath } from '../process/spawn-child.js';
import type { PoolDeclaration } from '../protocol.js';
import type { Strategy } from './strategy.js';

const BOOT_TIMEOUT_MS = 15_000;
/** young deaths in a row that make a crash loop */
const CRASH_LOOP = 3;

export class ClusterStrategy implements Strategy {
  readonly name = 'cluster';
  private readonly workers = new Set<Worker>();
  /** workers whose server is listening (the others are booting) */
  private readonly listening = new Set<Worker>();
  private readonly startedAt = new Map<Worker, number>();
  private readonly canary: Canary;
  private shuttingDown = false;
  /** the port actually bound: workers started later must share it (with --port 0 a new worker whose
   * siblings all died would otherwise make node:cluster bind a fresh random port) */
  private boundPort: number | null = null;
  /** replaces dead workers; backs off only in a crash loop (process/respawn.ts) */
  private readonly respawner = new Respawner(CRASH_LOOP);
  private readonly counters = { spawned: 0, crashes: 0, peakRss: 0 };

  constructor(private readonly options: ProxyOptions) {
    assertFaultSupported(options);
    this.canary = createCanary(options, 'cluster-primary');
  }

  pool(): PoolDeclaration {
    const n = this.options.workers + this.canary.helperProcesses; // + the zombie canary's log sink
    return { resident: n, cap: n };
  }

  stats(): { live: number; spawned: number; crashes: number; peakWorkerRssBytes: number } {
    return {
      live: this.workers.size,
      spawned: this.counters.spawned,
      crashes: this.counters.crashes,
      peakWorkerRssBytes: this.counters.peakRss,
    };
  }

  async listen(): Promise<AddressInfo> {
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({
      exec: childEntryPath(),
      args: ['cluster-worker'],
      execArgv: [], // never inherit a TypeScript loader
      // stdout carries the primary's `listening`/`pool` lines: workers must not write there
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    cluster.on('exit', (w) => this.onWorkerGone(w));
    const listening: Promise<AddressInfo>[] = [];
    for (let i = 0; i < this.options.workers; i++) listening.push(this.whenListening(this.fork()));
    for (const p of listening) p.catch(() => {}); // Promise.all reports the first failure only
    try {
      const addresses = await Promise.all(listening);
      if (this.shuttingDown) throw new Error('shut down during start-up');
      this.boundPort = addresses[0].port;
      return addresses[0];
    } catch (err) {
      this.shuttingDown = true;
      this.respawner.cancel();
      await drainThenTerminate(() => [...this.workers].map((w) => w.process), 0);
      await this.canary.close();
      throw err;
    }
  }

  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    this.respawner.cancel();
    const msg: ToChild = { t: 'shutdown', graceMs };
    for (const w of this.workers) {
      // a worker still booting has no connection and may not listen for messages yet: stop it now
      if (!this.listening.has(w)) {
        signal(w.process, 'SIGTERM');
        continue;
      }
      sendControl(w.process, msg);
    }
    const unreaped = await drainThenTerminate(() => [...this.workers].map((w) => w.process), graceMs + 750);
    if (unreaped.length) process.stderr.write(`handoff cluster: workers not reaped: ${unreaped.join(' ')}\n`);
    await this.canary.close();
  }

  private fork(): Worker {
    const options = this.boundPort === null ? this.options : { ...this.options, port: this.boundPort };
    const w = cluster.fork({ [OPTIONS_ENV]: JSON.stringify(options) });
    this.workers.add(w);
    this.startedAt.set(w, Date.now());
    this.counters.spawned++;
    let served = 0;
    w.on('message', (m: unknown) => {
      if (!isToMaster(m) || m.t !== 'stats') return;
      this.counters.peakRss = Math.max(this.counters.peakRss, m.rssBytes);
      // the workers accept by themselves: the primary learns of connections from their counts (the zombie canary)
      for (; served < m.served; served++) this.canary.onConnection();
    });
    w.on('error', () => {}); // send errors on a dying worker: its 'exit' follows
    w.once('listening', () => this.listening.add(w));
    return w;
  }

  private whenListening(w: Worker): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      let listenError: string | null = null;
      const onMessage = (m: unknown): void => {
        if (isToMaster(m) && m.t === 'listen-failed' && typeof m.code === 'string') listenError = m.code;
      };
      w.on('message', onMessage);
      const timer = setTimeout(() => {
        w.process.kill('SIGKILL');
        reject(new Error(`cluster worker did not listen within ${BOOT_TIMEOUT_MS} ms`));
      }, BOOT_TIMEOUT_MS);
      w.once('listening', (address: { address: string; port: number; addressType: number | string }) => {
        clearTimeout(timer);
        w.off('exit', onExit);
        w.off('message', onMessage);
        const family = address.addressType === 6 || address.addressType === 'udp6' ? 'IPv6' : 'IPv4';
        resolve({ address: address.address ?? this.options.host, port: address.port, family });
      });
      const onExit = (code: number | null, sig: string | null): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        if (listenError !== null) {
          // serve.ts prints the code, as for every other strategy: `cannot listen on 127.0.0.1:P: EADDRINUSE`
          reject(Object.assign(new Error(`cluster worker could not listen (${listenError})`), { code: listenError }));
        } else {
          reject(new Error(`cluster worker exited before listening (code ${code}, signal ${sig})`));
        }
      };
      w.once('exit', onExit);
    });
  }

  private onWorkerGone(w: Worker): void {
    this.listening.delete(w);
    if (!this.workers.delete(w)) return;
    const started = this.startedAt.get(w) ?? 0;
    this.startedAt.delete(w);
    if (this.shuttingDown) return;
    this.counters.crashes++;
    this.respawner.died(started);
    // a crash loop backs off; a worker killed from outside (OOM killer, chaos) is replaced at once: while no
    // worker holds the shared listener, node:cluster closes it and connections are refused
    this.respawner.schedule(() => {
      if (this.shuttingDown) return;
      for (let k = this.workers.size; k < this.options.workers; k++) {
        try {
          this.fork();
        } catch (err) {
          process.stderr.write(`handoff cluster: respawn failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
          break;
        }
      }
    });
  }
}

export function createStrategy(options: ProxyOptions): Strategy {
  return new ClusterStrategy(options);
}
