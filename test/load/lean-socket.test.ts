// The churn client's lean socket (load/lean-socket.ts), through the bare handle and through net.Socket alike:
// connected, the request written, reads into the shared buffer, the peer's FIN; a refused connect and a reset
// named; nothing delivered after destroy(); the local port while open.
import net from 'node:net';
import t from 'tap';
import { leanConnector, leanHandles, type LeanEvents } from '../../src/harness/load/lean-socket.js';
import { fakeServer } from '../helpers/fake-server.js';

/** records every event; `done` resolves at eof or failed */
class Recorder implements LeanEvents {
  readonly events: string[] = [];
  bytes = '';
  private end!: () => void;
  readonly done = new Promise<void>((r) => (this.end = r));
  constructor(
    private readonly buffer: Buffer,
    private readonly onConnected?: () => void,
  ) {}
  connected(): void {
    this.events.push('connected');
    this.onConnected?.();
  }
  data(n: number): void {
    this.events.push('data');
    this.bytes += this.buffer.subarray(0, n).toString('latin1');
  }
  eof(): void {
    this.events.push('eof');
    this.end();
  }
  failed(code: string): void {
    this.events.push(`failed ${code}`);
    this.end();
  }
}

const freePort = async (): Promise<number> => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
};

t.test('the bare handle is what this Node gives', async (t) => {
  t.ok(leanHandles, 'process.binding("tcp_wrap") is there on the Node this project supports');
});

for (const useHandle of [true, false]) {
  const how = useHandle ? 'bare handle' : 'net.Socket';

  t.test(`${how}: a request and its answer, then the FIN`, async (t) => {
    const srv = await fakeServer((s) => s.once('data', (d) => s.end(Buffer.concat([Buffer.from('echo '), d]))));
    t.teardown(() => srv.close());
    const buffer = Buffer.alloc(1024);
    let port: number | undefined;
    const rec = new Recorder(buffer, () => {
      port = sock.localPort();
      sock.write('héllo');
    });
    const sock = leanConnector({ host: '127.0.0.1', port: srv.port }, buffer, useHandle)(rec);
    await rec.done;
    t.equal(rec.events[0], 'connected');
    t.equal(rec.events.at(-1), 'eof');
    t.equal(rec.bytes, 'echo héllo', 'written and read as latin1, in the shared buffer');
    t.ok(port && port > 0, `the local port while open (${port})`);
    sock.destroy();
    t.equal(sock.localPort(), undefined, 'none once destroyed');
    sock.destroy();
  });

  t.test(`${how}: a refused connect and a reset are named`, async (t) => {
    const buffer = Buffer.alloc(64);
    const refused = new Recorder(buffer);
    const a = leanConnector({ host: '127.0.0.1', port: await freePort() }, buffer, useHandle)(refused);
    await refused.done;
    t.same(refused.events, ['failed ECONNREFUSED']);
    a.destroy();

    const srv = await fakeServer((s) => s.once('data', () => s.resetAndDestroy()));
    t.teardown(() => srv.close());
    const reset = new Recorder(buffer, () => b.write('x'));
    const b = leanConnector({ host: '127.0.0.1', port: srv.port }, buffer, useHandle)(reset);
    await reset.done;
    t.same(reset.events, ['connected', 'failed ECONNRESET']);
    b.destroy();
  });

  t.test(`${how}: nothing is delivered after destroy()`, async (t) => {
    const srv = await fakeServer((s) => s.once('data', () => setTimeout(() => s.end('late'), 30)));
    t.teardown(() => srv.close());
    const buffer = Buffer.alloc(64);
    const rec = new Recorder(buffer, () => {
      sock.write('x');
      setTimeout(() => sock.destroy(), 5);
    });
    const sock = leanConnector({ host: '127.0.0.1', port: srv.port }, buffer, useHandle)(rec);
    await new Promise((r) => setTimeout(r, 120));
    t.same(rec.events, ['connected'], 'neither the late answer nor its FIN');
    // destroyed while connecting: its completion is not delivered either
    const early = new Recorder(buffer);
    leanConnector({ host: '127.0.0.1', port: srv.port }, buffer, useHandle)(early).destroy();
    await new Promise((r) => setTimeout(r, 50));
    t.same(early.events, []);
  });
}
