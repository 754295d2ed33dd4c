// "No progress for ms" must not fire on a transfer that kept moving while the process was stalled: after a
// stall, expired timers run before the I/O that arrived meanwhile is delivered.
import net from 'node:net';
import t from 'tap';
import { noProgressTimer } from '../../src/util/no-progress-timer.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const stall = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

t.test('a byte that arrived during a stall counts before the deadline is judged', async (t) => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const peer = await accepted;
  t.teardown(() => {
    client.destroy();
    peer.destroy();
    server.close();
  });
  let expiredAt: number | null = null;
  const started = Date.now();
  const timer = noProgressTimer(150, () => (expiredAt = Date.now() - started));
  peer.on('data', () => timer.progress());
  await sleep(50);
  client.write('x'); // in the kernel at once
  stall(200); // the deadline passes with the byte waiting, unread
  await sleep(60);
  t.equal(expiredAt, null, 'the byte that arrived at 50 ms is progress, though the timer came due first');
  await sleep(400);
  t.ok(expiredAt !== null && expiredAt >= 250 + 150 - 20, `then silence expires it (${expiredAt} ms; last progress at ~250 ms)`);
  timer.clear();
});

t.test('progress moves the deadline; clear stops it', async (t) => {
  let expired = 0;
  const timer = noProgressTimer(80, () => expired++);
  for (let i = 0; i < 5; i++) {
    await sleep(40);
    timer.progress();
  }
  t.equal(expired, 0, 'progress every 40 ms keeps an 80 ms deadline away');
  await sleep(200);
  t.equal(expired, 1, 'silence expires it, once');
  const cleared = noProgressTimer(30, () => expired++);
  cleared.clear();
  await sleep(80);
  t.equal(expired, 1, 'a cleared timer never fires');
});
