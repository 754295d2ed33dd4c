// fork: the seed's model at its real speed. The zygote (this process, run with V8's --single-threaded) accepts
// with pauseOnConnect and fork()s per connection through a small N-API addon; the child is a copy of the warm
// process and serves that one connection with the shared forward-proxy code, then _exits. The zygote destroys
// its copy of the socket at once and reaps its children itself (libuv only reaps what it spawned). Children
// watch a death pipe: EOF means the zygote is gone, and they exit. See docs/fork.md for the safety argument.
import net, { type AddressInfo } from 'node:net';
import { createForwardProxy, type ForwardProxy } from '../forward.js';
import type { FaultName, ProxyOptions } from '../options.js';
import type { PoolDeclaration, Strategy } from './strategy.js';
import { UsageError } from '../../util/errors.js';
import { loadForkAddon, type ForkAddon } from '../fork/addon.js';
import { ensureZygote, threadpoolRequestsInFlight } from '../fork/zygote-guard.js';
import { Reaper } from '../fork/reaper.js';
import { adoptConnection, becomeChild, livePid } from '../fork/child.js';
import { warmUp } from '../warm-up.js';
import { stopOptimising, tierUpEagerly } from '../fork/tiering.js';

/** Canaries this strategy reproduces; the others belong to handoff mechanisms it does not have. */
export const FORK_FAULTS: readonly FaultName[] = ['zombie', 'no-parent-close', 'child-stall'];

export function createStrategy(options: ProxyOptions): Strategy {
  const load = loadForkAddon();
  if (!load.ok) throw new UsageError(`--strategy fork is unavailable: ${load.reason}`);
  if (options.fault && !FORK_FAULTS.includes(options.fault)) {
    throw new UsageError(`--fault ${options.fault} does not apply to --strategy fork (it supports ${FORK_FAULTS.join(', ')})`);
  }
  ensureZygote(load.addon); // may re-execute this process with --single-threaded; returns only when sound
  return new ForkStrategy(options, load.addon);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean, deadline: number): Promise<boolean> {
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
  return true;
}

class ForkStrategy implements Strategy {
  readonly name = 'fork';
  private proxy: ForwardProxy | null = null;
  private server: net.Server | null = null;
  private listenFd = -1;
  private accepting = true;
  private stopping = false;
  /** connections accepted while at --max-children, forked in order as children exit */
  private queue: net.Socket[] = [];
  /** the no-parent-close canary keeps its copies here */
  private leaked: net.Socket[] = [];
  private deathPipe: [number, number] | null = null;
  private readonly reaper: Reaper;
  private forkErrorLogged = false;

  constructor(
    private readonly options: ProxyOptions,
    private readonly addon: ForkAddon,
  ) {
    this.reaper = new Reaper(addon, {
      peekOnly: options.fault === 'zombie',
      onExit: () => this.drainQueue(),
    });
  }

  async listen(): Promise<AddressInfo> {
    const proxy = createForwardProxy(this.options);
    this.proxy = proxy;
    livePid(this.addon);
    // Run the request path in the zygote, exactly as children will, so every child starts with it compiled
    // and optimised for the shapes it will see, instead of compiling node:http and the proxy code each time.
    tierUpEagerly();
    await warmUp(proxy, {
      pauseOnConnect: true,
      adopt: (socket) => adoptConnection(socket, () => undefined),
      rehearseRelease: true,
      auth: this.options.auth,
    });
    stopOptimising();
    this.deathPipe = this.addon.deathPipe();
    this.reaper.start();
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.onConnection(socket));
    this.server = server;
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.host, port: this.options.port }, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
    // accept errors (EMFILE under a flood) must not kill the zygote; libuv retries on the next readiness
    server.on('error', (err) => process.stderr.write(`handoff serve (fork): accept error: ${err.message}\n`));
    this.listenFd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    return address;
  }

  pool(): PoolDeclaration {
    return { resident: 0, cap: this.options.maxChildren };
  }

  private onConnection(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    if (this.queue.length > 0 || this.reaper.liveCount() >= this.options.maxChildren) {
      this.queue.push(socket);
      this.setAccepting(false);
      return;
    }
    this.forkFor(socket);
  }

  private setAccepting(on: boolean): void {
    if (this.accepting === on || this.listenFd < 0) return;
    this.accepting = on;
    this.addon.setAccepting(this.listenFd, on);
  }

  private forkFor(socket: net.Socket): void {
    const busy = threadpoolRequestsInFlight();
    if (busy.length > 0) {
      // never fork with threadpool work in flight: retry once it has completed
      this.queue.unshift(socket);
      this.setAccepting(false);
      setTimeout(() => this.drainQueue(), 1);
      return;
    }
    const [deathRead, deathWrite] = this.deathPipe!;
    let pid: number;
    try {
      pid = this.addon.forkChild(deathRead, deathWrite);
    } catch (err) {
      // EAGAIN (process limit) or ENOMEM: this connection is refused, the zygote carries on
      if (!this.forkErrorLogged) {
        this.forkErrorLogged = true;
        process.stderr.write(`handoff serve (fork): ${err instanceof Error ? err.message : String(err)}\n`);
      }
      socket.destroy();
      return;
    }
    if (pid === 0) {
      becomeChild({
        addon: this.addon,
        socket,
        release: () => this.releaseInChild(),
        serve: (s) => this.proxy!.serveSocket(s),
        stall: this.options.fault === 'child-stall',
      });
      return;
    }
    this.reaper.add(pid);
    // the child owns the connection now: release our copy (the lesson of the seed)
    if (this.options.fault === 'no-parent-close') this.leaked.push(socket);
    else socket.destroy();
  }

  /** In the child: close every handle that belongs to the zygote. */
  private releaseInChild(): void {
    this.stopping = true;
    this.server?.close();
    for (const s of this.queue) s.destroy();
    for (const s of this.leaked) s.destroy();
    // emptied in place: assigning new arrays would change field types the zygote's optimised code relies on
    this.queue.length = 0;
    this.leaked.length = 0;
    this.reaper.forget();
  }

  private drainQueue(): void {
    if (this.stopping) return;
    while (this.queue.length > 0 && this.reaper.liveCount() < this.options.maxChildren) {
      const socket = this.queue.shift()!;
      if (socket.destroyed) continue;
      this.forkFor(socket);
      if (this.stopping) return; // forkFor turned this process into a child
    }
    if (this.queue.length === 0 && this.reaper.liveCount() < this.options.maxChildren) this.setAccepting(true);
  }

  async shutdown(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // stop accepting (closing the listener also drops it from epoll, paused or not)
    this.server?.close();
    for (const s of this.queue) s.destroy();
    this.queue = [];
    const live = (): boolean => this.reaper.liveCount() === 0;
    await waitUntil(live, Date.now() + Math.max(0, graceMs));
    if (!live()) {
      this.reaper.signalAll('SIGTERM');
      await waitUntil(live, Date.now() + 1_000);
    }
    if (!live()) {
      this.reaper.signalAll('SIGKILL');
      await waitUntil(live, Date.now() + 2_000);
    }
    this.reaper.stop();
    for (const s of this.leaked) s.destroy();
    this.leaked = [];
    if (this.deathPipe) {
      this.addon.closeFd(this.deathPipe[0]);
      this.addon.closeFd(this.deathPipe[1]);
      this.deathPipe = null;
    }
    await this.proxy?.close(0);
  }
}
