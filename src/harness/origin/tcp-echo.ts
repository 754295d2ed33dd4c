// A loopback TCP echo owned by the harness: the destination of CONNECT tunnels. It echoes every byte at once,
// and when the client half-closes it answers with one trailer line `#EOF <bytes received>\n` before ending its
// own side — so a tunnel client can verify both directions and that a FIN crossed the proxy each way (the
// trailer can only arrive if the proxy kept the server→client direction open after the client's FIN).
import net from 'node:net';

export const ECHO_TRAILER_PREFIX = '#EOF ';

export function echoTrailer(bytesReceived: number): string {
  return `${ECHO_TRAILER_PREFIX}${bytesReceived}\n`;
}

export interface TcpEcho {
  readonly host: string;
  readonly port: number;
  /** connections accepted so far */
  readonly accepted: number;
  close(): Promise<void>;
}

/** A connection that neither sends nor closes is dropped after this long (the echo never outlives a run). */
const IDLE_MS = 30_000;

export async function startTcpEcho(host = '127.0.0.1'): Promise<TcpEcho> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    accepted++;
    sockets.add(socket);
    let received = 0;
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (!socket.write(chunk)) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
    socket.on('end', () => socket.end(echoTrailer(received)));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
