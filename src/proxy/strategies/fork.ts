// fork: the seed's model at its real speed. The zygote (this process, run with V8's --single-threaded) accepts
// with pauseOnConnect and fork()s per connection through a small N-API addon; the child is a copy of the warm
// process and serves that one connection with the shared forward-proxy code, then _exits. The zygote destroys
// its copy of the socket at once and reaps its children itself (libuv only reaps what it spawned). Children
// watch a death pipe: EOF means the zygote is gone, and they exit. With --spares N, children are forked ahead
// and accept their one connection themselves (fork/spares.ts). See docs/fork.md for the safety argument.
import net, { type AddressInfo } from 'node:net';
import { createForwardProxy, type ForwardProxy } from '../forward.js';
import type { ProxyOptions } from '../options.js';
import type { PoolDeclaration } from '../protocol.js';
import type { Strategy } from './strategy.js';
import { UsageError } from '../../util/errors.js';
import { loadForkAddon, type ForkAddon } from '../../native/addon.js';
import { ensureZygote, threadpoolRequestsInFlight } from '../fork/zygote-guard.js';
import { Reaper } from '../fork/reaper.js';
import { adoptConnection, becomeChild, livePid, mutableBeforeForking, rehearseChildTimers, type ChildSetup } from '../fork/child.js';
import { WARM_UP_ROUNDS, warmUp, type WarmUpOptions, type WarmUpResult } from '../warm-up.js';
import { onMajorGc, stopOptimising, tierUpEagerly } from '../fork/tiering.js';
import { SparePool } from '../fork/spares.js';
import { createCanary, NO_CANARY, type Canary, type ForkFate } from '../canary.js';
import { assertFaultSupported } from '../process/fault-support.js';

export function createStrategy(options: ProxyOptions): Strategy {
  const load = loadForkAddon();
  if (!load.ok) throw new UsageError(`--strategy fork is unavailable: ${load.reason}`);
  assertFaultSupported(options); // the others belong to handoff mechanisms fork does not have
  if (options.spares > options.maxChildren) {
    // spares are live children: more than the cap could never be kept, and a silent clamp would misreport the pool
    throw new UsageError(
      `--spares ${options.spares} exceeds --max-children ${options.maxChildren}: with --strategy fork, spares count toward the cap`,
    );
  }
  ensureZygote(load.addon); // may re-execute this process with --single-threaded; returns only when sound
  return new ForkStrategy(options, load.addon);
}

/** What this process is: the zygote, a spare forked ahead and waiting for a connection, or a child serving one. */
type Role = 'zygote' | 'spare' | 'child';

/** How long to wait before forking spares again after fork() failed (EAGAIN, ENOMEM) or an idle spare died. */
const SPARE_RETRY_MS = 100;
/** A rehearsal after a full GC runs in slices of this long: no connection waits for all of it. */
const REWARM_SLICE_MS = 30;
/** At most one rehearsal after a full GC per this long: each costs ~1–3 s of the zygote's CPU. */
const REWARM_MIN_INTERVAL_MS = 30_000;

class ForkStrategy implements Strategy {
  readonly name = 'fork';
  private role: Role = 'zygote';
  private spares: SparePool | null = null;
  private spareRetry: NodeJS.Timeout | null = null;
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
  /** zombie, no-parent-close, child-stall: the fate thrown before each fork, so parent and child share the throw */
  private forkFate: ForkFate = NO_CANARY.nextFork();
  private forkErrorLogged = false;
  /** a slice of a rehearsal after a full GC is running: nothing is forked until it ends */
  private rewarming = false;
  /** a full GC wants a rehearsal; one is under way (in slices); one is scheduled; when the last one started */
  private rewarmDue = false;
  private rewarmActive = false;
  private rewarmTimer: NodeJS.Timeout | null = null;
  private lastRewarmStart = Number.NEGATIVE_INFINITY;
  private stopWatchingGc: () => void = () => undefined;
  /** the zygote's canary: the fate of each fork, and fd-leak's per-fork access log that never closes */
  private readonly canary: Canary;
  private readonly childSetup: ChildSetup;

  constructor(
    private readonly options: ProxyOptions,
    private readonly addon: ForkAddon,
  ) {
    this.canary = createCanary(options, 'fork-zygote');
    this.childSetup = { addon, release: () => this.releaseInChild(), serve: (socket) => this.proxy!.serveSocket(socket) };
    this.reaper = new Reaper(addon, {
      onExit: (exit) => {
        const idleSpareDied = this.spares?.exited(exit) ?? false;
        this.drainQueue();
        // an idle spare that died may die again the same way (a listener it cannot open): replace it after a pause
        if (idleSpareDied) this.topUpSparesLater(SPARE_RETRY_MS);
        else this.topUpSpares();
      },
    });
  }

  async listen(): Promise<AddressInfo> {
    const proxy = createForwardProxy(this.options);
    this.proxy = proxy;
    livePid(this.addon);
    mutableBeforeForking(this, 'role', 'child');
    mutableBeforeForking(this, 'stopping', true);
    mutableBeforeForking(this.reaper, 'forgotten', true);
    await this.rehearse();
    rehearseChildTimers();
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
    if (this.options.spares > 0) {
      // the zygote never accepts, its spares do: it keeps only a copy of the listening socket that libuv does not
      // watch, and each spare opens a server of its own on it (a watched listener cannot be unwatched reliably)
      this.spares = new SparePool(this.addon, this.addon.dupFd(this.listenFd), () => this.topUpSpares());
      this.listenFd = -1;
      this.server = null;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      this.spares.start();
      // after serve() has announced the address: a spare forked now would print it too
      setImmediate(() => this.topUpSpares());
    }
    // only now: a rehearsal after a GC unwatches the listener, and counts sockets against a settled zygote
    this.stopWatchingGc = onMajorGc(() => this.onFullGc());
    return address;
  }

  pool(): PoolDeclaration {
    return { resident: Math.min(this.options.spares, this.options.maxChildren), cap: this.options.maxChildren };
  }

  /**
   * Run the request path in the zygote, exactly as children will, so every child starts with it compiled and
   * optimised for the shapes it will see, instead of compiling node:http and the proxy code each time.
   */
  private rehearse(slice: Pick<WarmUpOptions, 'rounds' | 'budgetMs' | 'firstRound'> = {}): Promise<WarmUpResult> {
    tierUpEagerly();
    return warmUp(this.proxy!, {
      pauseOnConnect: true,
      adopt: (socket) => adoptConnection(socket, () => undefined),
      rehearseRelease: true,
      auth: this.options.auth,
      ...slice,
    });
  }

  /**
   * After a full GC in the zygote the rehearsal's objects are garbage, and V8 throws away the optimised code that
   * embedded them (docs/fork.md: children forked after that ran the request path at baseline, ~1.8 × the faults
   * and ~1.7 × the CPU). Every full GC is answered by a rehearsal that starts after it, at most one per
   * REWARM_MIN_INTERVAL_MS (a zygote under heap pressure collects often).
   */
  private onFullGc(): void {
    if (this.role !== 'zygote' || this.stopping) return;
    this.rewarmDue = true;
    this.scheduleRewarm();
  }

  private scheduleRewarm(): void {
    if (!this.rewarmDue || this.rewarmActive || this.rewarmTimer || this.stopping) return;
    const wait = Math.max(0, this.lastRewarmStart + REWARM_MIN_INTERVAL_MS - performance.now());
    this.rewarmTimer = setTimeout(() => {
      this.rewarmTimer = null;
      void this.rewarm();
    }, wait);
    this.rewarmTimer.unref();
  }

  private async rewarm(): Promise<void> {
    if (this.role !== 'zygote' || this.stopping) return;
    this.rewarmDue = false;
    this.rewarmActive = true;
    this.lastRewarmStart = performance.now();
    await this.rewarmInSlices();
    if (this.role !== 'zygote') return; // the child of a connection forked between slices
    this.rewarmActive = false;
    this.scheduleRewarm(); // a full GC during it
  }

  /**
   * As many rounds as at start (fewer left children with more faults: 100 rounds +40 %, 500 +10 %), in slices:
   * nothing is forked during a slice (the listener unwatched, what was accepted queued); what waited is forked
   * between slices, with optimisation off as ever in children. A slice that cannot show its sockets closed ends
   * the rehearsal, and forking resumes as after the first warm-up.
   */
  private async rewarmInSlices(): Promise<void> {
    const started = performance.now();
    let done = 0;
    let clean = true;
    while (done < WARM_UP_ROUNDS && clean) {
      this.rewarming = true;
      this.setAccepting(false);
      let slice: WarmUpResult = { rounds: 0, clean: false };
      try {
        slice = await this.rehearse({ rounds: WARM_UP_ROUNDS - done, budgetMs: REWARM_SLICE_MS, firstRound: done });
      } catch {
        // best effort, like the warm-up itself: the zygote must accept again below
      }
      stopOptimising();
      this.rewarming = false;
      this.drainQueue();
      this.topUpSpares();
      // a connection that waited was just forked: this may be its child now
      if (this.role !== 'zygote' || this.stopping || slice.rounds === 0) return;
      // one turn of the loop with the listener watched: libuv accepts what waited in the backlog, and it is forked
      await new Promise((resolve) => setImmediate(resolve));
      if (this.role !== 'zygote' || this.stopping) return;
      done += slice.rounds;
      clean = slice.clean;
    }
    rehearseChildTimers();
    const ms = Math.round(performance.now() - started);
    const unclean = clean ? '' : '; stopped: its sockets were not all closed';
    process.stderr.write(`handoff serve (fork): rehearsed the request path again after a full GC (${done} rounds, ${ms} ms${unclean})\n`);
  }

  private onConnection(socket: net.Socket): void {
    if (this.role === 'spare') {
      this.serveAsSpare(socket);
      return;
    }
    if (this.stopping) {
      socket.destroy();
      return;
    }
    if (this.rewarming || this.queue.length > 0 || this.reaper.liveCount() >= this.options.maxChildren) {
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

  /** fork() with the death pipe: the child's pid, 0 in the child, or null when the kernel refused (logged once). */
  private forkProcess(): number | null {
    const [deathRead, deathWrite] = this.deathPipe!;
    try {
      this.forkFate = this.canary.nextFork();
      const pid = this.addon.forkChild(deathRead, deathWrite);
      if (pid > 0) this.canary.onConnection(); // one fork per connection, with or without spares
      return pid;
    } catch (err) {
      // EAGAIN (process limit) or ENOMEM: the zygote carries on
      if (!this.forkErrorLogged) {
        this.forkErrorLogged = true;
        process.stderr.write(`handoff serve (fork): ${err instanceof Error ? err.message : String(err)}\n`);
      }
      return null;
    }
  }

  private serveIn(socket: net.Socket): void {
    becomeChild(this.childSetup, socket, this.forkFate.stallsChild);
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
    const pid = this.forkProcess();
    if (pid === null) {
      socket.destroy(); // this connection is refused
      return;
    }
    if (pid === 0) {
      this.role = 'child';
      this.serveIn(socket);
      return;
    }
    this.reaper.add(pid, this.forkFate.leavesZombie);
    // the child owns the connection now: release our copy (the lesson of the seed)
    if (this.forkFate.keepsParentCopy) this.leaked.push(socket);
    else socket.destroy();
  }

  /** In the zygote: fork spares until --spares are idle (within --max-children). */
  private topUpSpares(): void {
    const spares = this.spares;
    if (!spares || this.role !== 'zygote' || this.stopping || this.spareRetry || this.rewarming) return;
    while (spares.idleCount() < this.options.spares && this.reaper.liveCount() < this.options.maxChildren) {
      const retryIn = threadpoolRequestsInFlight().length > 0 ? 1 : 0; // never fork with threadpool work in flight
      const pid = retryIn ? null : this.forkProcess();
      if (pid === null) {
        this.topUpSparesLater(retryIn || SPARE_RETRY_MS);
        return;
      }
      if (pid === 0) {
        this.becomeSpare();
        return;
      }
      this.reaper.add(pid, this.forkFate.leavesZombie);
      spares.added(pid);
    }
  }

  private topUpSparesLater(ms: number): void {
    if (this.spareRetry || this.stopping) return;
    this.spareRetry = setTimeout(() => {
      this.spareRetry = null;
      this.topUpSpares();
    }, ms);
  }

  /** In a child forked ahead: drop the zygote's duties and wait for the one connection the listener brings. */
  private becomeSpare(): void {
    this.role = 'spare';
    this.reaper.forget();
    this.server = this.spares!.enterSpare((socket) => this.onConnection(socket));
  }

  /** In a spare: its connection has arrived. */
  private serveAsSpare(socket: net.Socket): void {
    this.role = 'child';
    this.spares!.taken();
    this.serveIn(socket);
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
    if (this.stopping || this.rewarming) return;
    while (this.queue.length > 0 && this.reaper.liveCount() < this.options.maxChildren) {
      const socket = this.queue.shift()!;
      if (socket.destroyed) continue;
      this.forkFor(socket);
      if (this.stopping) return; // forkFor turned this process into a child
    }
    // with spares the zygote never accepts
    if (!this.spares && this.queue.length === 0 && this.reaper.liveCount() < this.options.maxChildren) this.setAccepting(true);
  }

  async shutdown(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopWatchingGc();
    if (this.rewarmTimer) clearTimeout(this.rewarmTimer);
    // stop accepting (closing the listener also drops it from epoll, paused or not)
    this.server?.close();
    for (const s of this.queue) s.destroy();
    this.queue = [];
    if (this.spareRetry) clearTimeout(this.spareRetry);
    this.spares?.standDownIdle();
    await this.reaper.endAll(graceMs);
    this.reaper.stop();
    for (const s of this.leaked) s.destroy();
    this.leaked = [];
    this.spares?.close();
    if (this.deathPipe) {
      this.addon.closeFd(this.deathPipe[0]);
      this.addon.closeFd(this.deathPipe[1]);
      this.deathPipe = null;
    }
    await this.proxy?.close(0);
    await this.canary.close();
  }
}
