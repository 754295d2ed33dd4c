// The I/O layer against this machine's /proc: vanished processes read as null, never throw.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import t from 'tap';
import {
  countFds,
  hasMarker,
  listChildren,
  listPids,
  readCmdline,
  readFds,
  readNetTcp,
  readProcFile,
  readStat,
  readStatus,
  readTcpTable,
} from '../../src/harness/probes/proc-reader.js';
import { ProcHandles } from '../../src/harness/probes/proc-handles.js';
import { parseNetTcp } from '../../src/harness/probes/parse-net-tcp.js';
import type { TcpRow } from '../../src/harness/probes/types.js';

const GONE_PID = 2 ** 22 + 7; // above any pid_max

t.test('a process that does not exist reads as null everywhere', async (t) => {
  t.equal(readProcFile(`/proc/${GONE_PID}/stat`), null);
  t.equal(readStat(GONE_PID), null);
  t.equal(readStatus(GONE_PID), null);
  t.equal(readCmdline(GONE_PID), null);
  t.equal(readFds(GONE_PID), null);
  t.equal(hasMarker(GONE_PID, 'A', 'b'), null);
  t.equal(countFds(GONE_PID), null);
  t.same(listChildren(GONE_PID), []);
  const handles = new ProcHandles();
  t.equal(handles.stat(GONE_PID), null);
  t.equal(handles.fdCount(GONE_PID), null);
  t.equal(handles.size, 0);
});

t.test('this process: stat, status, cmdline, marker, listing', async (t) => {
  const stat = readStat(process.pid)!;
  t.match(stat, { pid: process.pid, ppid: process.ppid, state: /^[RS]$/ });
  t.ok(stat.starttime > 0);
  t.ok(readStatus(process.pid)!.vmRssBytes > 10 * 1024 * 1024, 'node uses more than 10 MiB');
  t.equal(readCmdline(process.pid)![0], process.argv0);
  t.ok(listPids().includes(process.pid));
  t.ok(listPids().every((pid) => Number.isInteger(pid) && pid > 0));
});

t.test('marker found in a child environment, exact value only', async (t) => {
  const child = spawn('sleep', ['20'], { stdio: 'ignore', env: { PATH: process.env.PATH, HANDOFF_T: 'abc' } });
  t.teardown(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  // until exec completes the child shows our environment: poll
  const deadline = Date.now() + 5000;
  while (hasMarker(child.pid!, 'HANDOFF_T', 'abc') !== true && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(hasMarker(child.pid!, 'HANDOFF_T', 'abc'), true);
  t.equal(hasMarker(child.pid!, 'HANDOFF_T', 'ab'), false);
  t.same(
    listChildren(process.pid).filter((pid) => pid === child.pid),
    [child.pid],
  );
});

t.test('own listener and connection: fds and both TCP tables', async (t) => {
  const server = createServer((socket) => socket.on('error', () => {}));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  t.teardown(() => {
    client.destroy();
    server.close();
  });
  const fds = readFds(process.pid)!;
  const sockets = fds.filter((f) => f.kind === 'socket');
  t.ok(sockets.length >= 2);
  const inodes = new Set(sockets.map((f) => f.inode!));
  const rows = readNetTcp('self', inodes);
  const listener = rows.find((r) => r.state === 'LISTEN' && r.localPort === port);
  t.match(listener, { localAddress: '127.0.0.1' }, 'our listener is in /proc/net/tcp');
  t.ok(
    rows.some((r) => r.state === 'ESTABLISHED' && r.remotePort === port),
    'our client end',
  );
  t.same(readTcpTable(process.pid, 'tcp', new Set([listener!.inode])), [listener], 'by pid, one table');
  const fdCount = countFds(process.pid);
  if (fdCount !== undefined) t.ok(Math.abs(fdCount! - fds.length) <= 1, `count ${fdCount} ~ listing ${fds.length}`);
});

t.test('the TCP table read through the short-read shortcut is the whole table', async (t) => {
  // Other tests churn thousands of rows while this runs, so two reads never agree on a count. Instead hold 200
  // connections of our own (400 rows, scattered over the table's hash order and many pages): a read cut short
  // at a page would miss some of them.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted: import('node:net').Socket[] = [];
  server.on('connection', (s) => accepted.push(s));
  const clients = await Promise.all(
    Array.from({ length: 200 }, async () => {
      const c = connect(port, '127.0.0.1');
      await once(c, 'connect');
      return c;
    }),
  );
  while (accepted.length < clients.length) await new Promise((r) => setTimeout(r, 5));
  t.teardown(() => {
    for (const c of [...clients, ...accepted]) c.destroy();
    server.close();
  });
  // The kernel resumes a table read between read() calls by bucket and offset, so sockets others close at that
  // moment can make one read skip or repeat a row; a read cut short at a page would miss rows every time.
  // exactly our rows: a TIME_WAIT row of another test can carry our port number from when it was ephemeral
  const clientPorts = new Set(clients.map((c) => c.localPort!));
  const ours = (r: TcpRow): boolean =>
    (r.localPort === port && (r.state === 'LISTEN' || clientPorts.has(r.remotePort))) ||
    (r.remotePort === port && clientPorts.has(r.localPort));
  const counts: number[] = [];
  for (let attempt = 0; attempt < 3 && counts.at(-1) !== 401; attempt++) {
    const seq = readProcFile('/proc/self/net/tcp', 'seq')!;
    t.ok(seq.startsWith('  sl') && seq.endsWith('\n'), 'the header, and whole lines');
    counts.push(parseNetTcp(seq).filter(ours).length);
  }
  t.equal(counts.at(-1), 401, `the listener and both ends of 200 connections (reads found ${counts.join(', ')})`);
});

t.test('kept handles follow the process, not the pid number', async (t) => {
  const child = spawn('sleep', ['20'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const handles = new ProcHandles();
  t.teardown(() => handles.close());
  const first = handles.stat(child.pid!);
  t.equal(first?.pid, child.pid);
  t.equal(handles.stat(child.pid!)?.starttime, first?.starttime, 'pread at 0 re-reads');
  t.type(handles.fdCount(child.pid!), 'number');
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.equal(handles.stat(child.pid!), null, 'reaped: gone, handle dropped');
  t.equal(handles.fdCount(child.pid!), null);
  t.equal(handles.size, 0);
});
