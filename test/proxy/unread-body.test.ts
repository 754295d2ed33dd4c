// The lingering close on its own: a socket whose answer left a request body unread is closed only once the
// client stops sending, and a second close request during that drain (a child's own close hook after the
// proxy's) must not cut it short.
import net from 'node:net';
import t from 'tap';
import { closeAfterDrain, markUnreadBody } from '../../src/proxy/unread-body.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function pair(t: { teardown(fn: () => void): void }): Promise<{ client: net.Socket; peer: net.Socket }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  const peer = await accepted;
  t.teardown(() => {
    client.destroy();
    peer.destroy();
    server.close();
  });
  return { client, peer };
}

t.test('an unmarked socket closes at once', async (t) => {
  const { peer } = await pair(t);
  let closed = 0;
  closeAfterDrain(peer, () => closed++);
  t.equal(closed, 1);
});

t.test('a marked socket closes once the client is silent, once, whoever asked', async (t) => {
  const { client, peer } = await pair(t);
  markUnreadBody(peer);
  const calls: string[] = [];
  closeAfterDrain(peer, () => calls.push('first'));
  closeAfterDrain(peer, () => calls.push('second')); // already draining: that drain decides
  for (let i = 0; i < 4; i++) {
    client.write('still uploading');
    await sleep(150);
  }
  t.same(calls, [], 'not while the client keeps sending (gaps of 150 ms, quiet window 500 ms)');
  await sleep(900);
  t.same(calls, ['first'], 'after the silence, by the drain that started first, and only once');
});
