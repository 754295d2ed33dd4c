// Entry of every child process of the reference proxy: per-connection children, prefork workers and
// cluster workers. Role in argv[2], ProxyOptions as JSON in HANDOFF_PROXY_OPTIONS. Kept small: a
// per-connection child is started for every connection, so it imports only what serving needs.
//
// Lifetime is explicit, never "when the loop drains": the stats timer below keeps the loop alive on
// purpose (it is the periodic metrics flush), so every exit path is a deliberate process.exit():
//   - its one connection is over (per-connection),
//   - the master asked (shutdown / retire message),
//   - the IPC channel closed: the master is gone (the postmaster death-pipe idea; Node has no PDEATHSIG),
//   - a signal (default dispositions: SIGTERM / SIGKILL from the master's escalation).
// The canaries child-stall and orphan-on-shutdown each remove one of those paths (child-canary.ts).
import net from 'node:net';
import type { ChildCanary } from './child-canary.js';
import { createForwardProxy } from './forward.js';
import type { ProxyOptions } from './options.js';
import { OPTIONS_ENV, SPARE_ENV, type ChildRole, type ToChild, type ToMaster } from './process/messages.js';
import { closeLikeForkServer, keepHalfCloseInTunnels } from './process/fork-close.js';

const role = process.argv[2] as ChildRole;
const options = JSON.parse(process.env[OPTIONS_ENV] ?? 'null') as ProxyOptions | null;
if (!options || !['per-connection', 'worker', 'cluster-worker'].includes(role)) {
  process.stderr.write(`handoff child: bad role "${role}" or missing ${OPTIONS_ENV}\n`);
  process.exit(2);
}
/** a clean child's canary: every decision false, every hook empty */
const NO_CANARY: ChildCanary = {
  ignoresMasterDeath: false,
  stallsAfter: () => false,
  diesOnHandle: () => false,
  onConnection: () => {},
  forwardHooks: {},
  close: async () => {},
};
// loaded only with a fault: a per-connection child's start-up is on every connection's path
const canary = options.fault ? (await import('./child-canary.js')).createChildCanary(options, role) : NO_CANARY;
/** requests a spare runs through itself before 'ready' (HANDOFF_SPARE_WARMUP_ROUNDS overrides; 0 = none) */
const SPARE_WARMUP_ROUNDS = Number(process.env.HANDOFF_SPARE_WARMUP_ROUNDS ?? 2);

function send(m: ToMaster, then?: () => void): void {
  if (!process.send || !process.connected) {
    then?.();
    return;
  }
  try {
    process.send(m, undefined, {}, () => then?.());
  } catch {
    then?.();
  }
}

// Death pipe. The orphan-on-shutdown canary is the child that relies on its master to stop it.
// Loading this ES module takes turns of the event loop, and a master that died meanwhile closed the channel
// before anyone listened: its 'disconnect' went unheard. Hence the check after subscribing.
if (!canary.ignoresMasterDeath) {
  process.on('disconnect', () => process.exit(0));
  if (!process.connected) process.exit(0);
}

let served = 0;
const statsTimer = setInterval(() => send({ t: 'stats', rssBytes: process.memoryUsage.rss(), served }), 1_000);
void statsTimer;

const proxy = createForwardProxy(options, canary.forwardHooks);
if (role !== 'cluster-worker') keepHalfCloseInTunnels(proxy.server);

let stopping = false;
async function stop(graceMs: number, code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.race([proxy.close(graceMs).catch(() => {}), new Promise((r) => setTimeout(r, graceMs + 500))]);
    await canary.close().catch(() => {});
  }
  process.exit(code);
}

/** Serves one handed-over client connection; onOver runs once it is closed. */
function serve(socket: net.Socket, id: number, onOver?: () => void): void {
  if (role !== 'cluster-worker') closeLikeForkServer(socket);
  socket.once('close', () => {
    served++;
    send({ t: 'closed', id });
    onOver?.();
  });
  canary.onConnection();
  proxy.serveSocket(socket);
}

/** Per-connection child: its connection is over, so is the child. */
function connectionOver(id: number): void {
  const stall = canary.stallsAfter(id);
  send({ t: 'done' }, () => {
    if (stall) return; // the bug: "the loop will drain" — but statsTimer keeps it alive
    process.exit(0);
  });
}

if (role === 'cluster-worker') {
  // node:cluster shares the listener: the primary accepts and passes handles on its own.
  proxy.server.on('connection', () => {
    served++; // the primary draws the zombie canary's dice per connection from this count
    canary.onConnection();
  });
  // The primary binds the shared handle; its failure (EADDRINUSE…) surfaces here as the server's 'error'.
  // Unhandled, that is a 25-line trace per worker ahead of the primary's one line: report the code instead
  // (the primary puts it in its `cannot listen` line) and leave quietly.
  const onListenError = (err: NodeJS.ErrnoException): void => {
    send({ t: 'listen-failed', code: err.code ?? err.message }, () => process.exit(1));
  };
  proxy.server.once('error', onListenError);
  proxy.server.listen({ port: options.port, host: options.host }, () => proxy.server.off('error', onListenError));
  process.on('message', (msg: ToChild) => {
    if (msg?.t === 'shutdown' || msg?.t === 'retire') void stop(msg.graceMs);
  });
} else if (role === 'per-connection' && options.handoff === 'stdio') {
  // fork-and-close model: the accepted socket is our fd 3, inherited at spawn.
  serve(new net.Socket({ fd: 3, readable: true, writable: true }), 0, () => connectionOver(0));
  process.on('message', (msg: ToChild) => {
    if (msg?.t === 'shutdown') void stop(msg.graceMs);
  });
  send({ t: 'ready' });
} else {
  let busy = false;
  process.on('message', (msg: ToChild, handle?: net.Socket) => {
    if (msg?.t === 'conn' && handle) {
      if (canary.diesOnHandle(msg.id)) process.exit(1); // crashes between receiving the handle and serving it
      send({ t: 'got', id: msg.id });
      if (role === 'per-connection') {
        busy = true;
        serve(handle, msg.id, () => connectionOver(msg.id));
      } else {
        serve(handle, msg.id);
      }
    } else if (msg?.t === 'shutdown' || msg?.t === 'retire') {
      // an idle spare has nothing in flight
      if (role === 'per-connection' && !busy) process.exit(0);
      void stop(msg.graceMs);
    }
  });
  // A spare's first-ever request would otherwise pay for compiling node:http's parser, the forward path
  // and the http client while the client waits: run a couple of loopback requests through it now, idle.
  // warmUp() closes all it opened (sockets back to their count before) before we say ready.
  if (role === 'per-connection' && process.env[SPARE_ENV] === '1' && SPARE_WARMUP_ROUNDS > 0) {
    const { warmUp } = await import('./warm-up.js');
    await warmUp(proxy, { rounds: SPARE_WARMUP_ROUNDS, auth: options.auth });
  }
  send({ t: 'ready' });
}
