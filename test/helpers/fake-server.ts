// A loopback TCP server for hand-made misbehaving peers in tests: it tracks its connections (errors ignored)
// and closes them all with itself, so a test's teardown leaves nothing open.
import net from 'node:net';

export interface FakeServer {
  port: number;
  /** connections accepted so far */
  connections(): number;
  /** destroys every tracked socket, then closes the listener */
  close(): Promise<void>;
}

/** `onConnection` may register more sockets of its own (an upstream leg) with `track`. */
export async function fakeServer(
  onConnection: (socket: net.Socket, track: (s: net.Socket) => void) => void,
  options: net.ServerOpts = {},
): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
  };
  const srv = net.createServer(options, (s) => {
    accepted++;
    track(s);
    onConnection(s, track);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}
