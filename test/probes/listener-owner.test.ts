// Readiness of a command target: the socket that accepts must be the target's. The harness picks a free port and
// releases it for the target to bind; on a busy machine another process can take it first, and a connect()
// alone then loaded somebody else's server (seen in a loaded full test run: a never-listening target "passed"
// readiness and the run went on, exit 1 instead of 3).
import { readFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { holdsAnyOf, listenerBelongsToTarget, listenerInodes } from '../../src/harness/probes/listener-owner.js';
import type { TcpRow } from '../../src/harness/probes/types.js';
import { pollUntil } from '../helpers/proxy-process.js';
import { runCli, tempReportDir } from '../harness/helpers.js';

const row = (localPort: number, state: TcpRow['state'], inode: number): TcpRow => ({
  localAddress: '127.0.0.1',
  localPort,
  remoteAddress: '0.0.0.0',
  remotePort: 0,
  state,
  inode,
});

t.test('pure: the LISTEN inodes of a port, and whether fds hold one', async (t) => {
  const inodes = listenerInodes(
    [row(80, 'LISTEN', 1), row(80, 'ESTABLISHED', 2), row(81, 'LISTEN', 3), { ...row(80, 'LISTEN', 4), localAddress: '::' }],
    80,
  );
  t.same([...inodes].sort(), [1, 4]);
  t.ok(holdsAnyOf([{ fd: 3, target: 'socket:[4]', kind: 'socket', inode: 4 }], inodes));
  t.notOk(
    holdsAnyOf(
      [
        { fd: 3, target: 'socket:[2]', kind: 'socket', inode: 2 },
        { fd: 4, target: 'pipe:[1]', kind: 'pipe', inode: 1 },
      ],
      inodes,
    ),
  );
});

t.test("this process's own listener is found as its own, and as nobody else's", async (t) => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => srv.close());
  const port = (srv.address() as net.AddressInfo).port;
  t.ok(
    listenerBelongsToTarget(port, (pid) => pid === process.pid),
    'ours',
  );
  t.notOk(
    listenerBelongsToTarget(port, (pid) => pid === -1),
    'not a target that is not us',
  );
});

t.test('a port taken by another process before the target bound it: exit 3 naming the squatter, no run', async (t) => {
  const dir = tempReportDir(t);
  const portFile = join(dir, 'port');
  // the target says which port the harness gave it, then never listens; this test process takes the port
  const target = ['--', 'sh', '-c', `echo "$PORT" > '${portFile}'; exec sleep 30`];
  const run = runCli([
    'stress',
    '--mode',
    'server',
    '--ready-timeout',
    '2s',
    '--format',
    'json',
    '--report-dir',
    dir,
    '--quiet',
    ...target,
  ]);
  t.ok(await pollUntil(() => existsSync(portFile) && readFileSync(portFile, 'utf8').trim() !== '', 10_000), 'the target told its port');
  const squatter = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => squatter.listen(Number(readFileSync(portFile, 'utf8')), '127.0.0.1', () => r()));
  t.teardown(() => squatter.close());
  const r = await run;
  t.equal(
    r.code,
    3,
    `exit 3, not a run against the squatter (${r.stdout.split('\n').find((l) => /PASS|FAIL/.test(l)) ?? r.stderr.trim()})`,
  );
  t.match(r.stderr, /another process, not the target, was listening on \d+/);
});
