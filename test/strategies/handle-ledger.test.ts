// nodejs/node#19433 reproduced, and the master-side fix: a child that dies with a handle in flight never
// acks it; Node then keeps the parent's copy open forever. HandleLedger closes it when the child is gone.
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HandleLedger } from '../../src/proxy/process/handle-ledger.js';
import { fdTargets } from './proc.js';

const fixture = fileURLToPath(new URL('./fixtures/die-before-ack.mjs', import.meta.url));
const sockets = (): number => fdTargets(process.pid).filter((f) => f.startsWith('socket:')).length;

for (const mitigate of [false, true]) {
  await t.test(mitigate ? 'with the ledger: the copy is closed, the client sees a reset' : 'plain send(): the copy leaks', async (t) => {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    client.on('error', () => {});
    let closedFlag = false;
    client.once('close', () => (closedFlag = true));
    // the window starts once the copy is released (or would be): the child's start-up must not eat it
    const clientClosed = (): Promise<boolean> =>
      closedFlag
        ? Promise.resolve(true)
        : new Promise<boolean>((r) => {
            client.once('close', () => r(true));
            setTimeout(() => r(closedFlag), 3_000);
          });
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const socket = await accepted;
    const child = fork(fixture, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
    const ledger = new HandleLedger();
    child.once('message', () => ledger.send(child, 1, socket, false));
    await new Promise((r) => child.once('exit', r));
    const withCopy = sockets();
    const released = mitigate ? ledger.releaseAll() : 0;
    const closed = await clientClosed();
    if (mitigate) {
      t.equal(released, 1, 'one unconfirmed handle released');
      t.ok(closed, 'the client saw its connection closed');
      t.ok(sockets() < withCopy, `socket fds ${withCopy} → ${sockets()}`);
    } else {
      t.notOk(closed, 'the client is left hanging (no EOF, no reset within 3 s)');
      t.equal(sockets(), withCopy, 'the copy is still open in the parent');
      ledger.releaseAll(); // clean up for the next case
    }
    client.destroy();
    server.close();
  });
}
