// The floor of forking a Node process per connection: the same addon and zygote rules as `--strategy fork`,
// but the child does the least a server can do (read the request, write a fixed reply, close) and there is no
// origin. Warmed first by serving 1000 connections in-process through the same handler, and by rehearsing a
// child's release of the zygote's handles, so its children are as warm as the proxy's. Whatever this costs per
// connection (fork's page-table copy, copy-on-write and file faults, exit teardown, a JS event loop) no Node
// fork-per-connection server can go below on this machine.
// Prints `listening HOST:PORT`. Run with V8's --single-threaded (a fork zygote's precondition) and large pages, as
// the fork strategy does.
//   node --single-threaded --use-largepages=silent dist/bench/reference/node-fork-floor.js
import net from 'node:net';
import { loadForkAddon } from '../../src/native/addon.js';
import { Reaper } from '../../src/proxy/fork/reaper.js';
import { singleThreadedInEffect } from '../../src/proxy/fork/zygote-guard.js';

const WARM_UP_CONNECTIONS = 1_000;
const REPLY = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n';

const load = loadForkAddon();
if (!load.ok) {
  process.stderr.write(`node-fork-floor: ${load.reason}\n`);
  process.exit(2);
}
if (!singleThreadedInEffect()) {
  process.stderr.write('node-fork-floor: run with node --single-threaded\n');
  process.exit(2);
}
const addon = load.addon;
const [deathRead, deathWrite] = addon.deathPipe();
const reaper = new Reaper(addon, { onExit: () => undefined });
let warming = true;

function serve(socket: net.Socket, onClosed: () => void): void {
  socket.once('close', onClosed);
  socket.on('data', () => {
    socket.write(REPLY);
    socket.destroySoon();
  });
  socket.resume();
}

const server = net.createServer({ pauseOnConnect: true }, (socket) => {
  if (warming) return serve(socket, () => undefined);
  const pid = addon.forkChild(deathRead, deathWrite);
  if (pid === 0) {
    server.close();
    reaper.forget();
    return serve(socket, () => addon.exitNow(0));
  }
  reaper.add(pid);
  socket.destroy();
});

/**
 * What a child does before it serves (close the zygote's listener, forget the zygote's children), on scratch
 * objects: node:net's close path and the timers' were otherwise compiled from source in every child.
 */
async function rehearseChildRelease(): Promise<void> {
  const scratch = net.createServer();
  await new Promise<void>((resolve) => scratch.listen(0, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => scratch.close(() => resolve()));
  const scratchReaper = new Reaper(addon, { onExit: () => undefined });
  scratchReaper.start();
  scratchReaper.forget();
  scratchReaper.stop();
}

function oneWarmUp(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    s.resume();
    s.on('error', () => undefined);
    s.on('close', () => resolve());
  });
}

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as net.AddressInfo;
  for (let i = 0; i < WARM_UP_CONNECTIONS; i++) {
    await oneWarmUp(port);
    if (i % 10 === 0) await rehearseChildRelease();
  }
  warming = false;
  reaper.start();
  process.stdout.write(`listening 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => {
  reaper.signalAll('SIGKILL');
  process.exit(0);
});
