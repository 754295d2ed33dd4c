// Who holds a connection open: the target side of the connection joined with the descriptors on it (pure),
// and the real lookup against a socket this test holds in two processes.
import { spawn } from 'node:child_process';
import net from 'node:net';
import t from 'tap';
import { findSocketHolders, holdersOf } from '../../src/harness/probes/socket-holders.js';
import type { FdEntry, ProcessSnapshot, TcpRow } from '../../src/harness/probes/types.js';

const row = (localPort: number, remotePort: number, inode: number): TcpRow => ({
  localAddress: '127.0.0.1',
  localPort,
  remoteAddress: '127.0.0.1',
  remotePort,
  state: 'ESTABLISHED',
  inode,
});
const sock = (fd: number, inode: number): FdEntry => ({ fd, target: `socket:[${inode}]`, kind: 'socket', inode });

t.test('holdersOf: only the target side of that client port, with every descriptor on it', async (t) => {
  const rows = [row(8080, 5000, 11), row(5000, 8080, 12), row(8080, 5001, 13), row(9090, 5000, 14)];
  const fds = new Map([
    [100, [sock(23, 11), sock(24, 13)]],
    [200, [sock(3, 11), sock(4, 12)]],
  ]);
  const held = holdersOf(rows, fds, 8080, 5000);
  t.same(
    held.map((h) => [h.pid, h.fd, h.inode]),
    [
      [100, 23, 11],
      [200, 3, 11],
    ],
  );
  t.same(holdersOf(rows, fds, 8080, 6000), [], 'another client port: nobody');
});

t.test('findSocketHolders: names a second process that inherited the accepted socket', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  const socket = await accepted;
  // a child holding a copy of the accepted socket as its fd 3, like a parent that forgot to close it
  const holder = spawn('sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore', socket] });
  t.teardown(() => {
    holder.kill('SIGKILL');
    client.destroy();
    socket.destroy();
    server.close();
  });
  await new Promise((resolve) => holder.once('spawn', resolve));
  const snapshot = (pid: number, depth: number): ProcessSnapshot => ({
    pid,
    starttime: 0,
    ppid: 0,
    pgrp: 0,
    state: 'S',
    cmdline: '',
    depth,
    fds: [],
    rssBytes: 0,
    cpuTicks: 0,
  });
  const held = findSocketHolders([snapshot(process.pid, 0), snapshot(holder.pid!, 1)], port, client.localPort!);
  t.same([...new Set(held.map((h) => h.pid))].sort(), [process.pid, holder.pid!].sort(), 'this process and the child both hold it');
  t.ok(held.find((h) => h.pid === holder.pid)?.fd === 3, "the child's copy is its fd 3");
  t.ok(held.every((h) => h.localPort === port && h.remotePort === client.localPort && h.state === 'ESTABLISHED'));
  t.same(findSocketHolders([snapshot(process.pid, 0)], port, 1), [], 'no connection from port 1');
});
