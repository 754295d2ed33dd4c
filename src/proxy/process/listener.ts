// The master's listening socket for strategies that hand connections to child processes: accepts with
// pauseOnConnect (nothing is read in the master, so nothing is lost on the way to the child) and survives
// accept errors. On EMFILE/ENFILE libuv closes the pending connections it cannot accept (its reserve-fd
// trick) and Node emits 'error' on the server; without a listener that would crash the master. We log
// (at most once a second) and keep listening: accepting resumes by itself once descriptors free up.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface PausedListener {
  readonly server: net.Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  /** stop accepting (closes the listening socket); does not wait for connections */
  stopAccepting(): void;
  /** accept errors seen so far (EMFILE, ENFILE, …) */
  acceptErrors(): number;
}

export function createPausedListener(onConnection: (socket: net.Socket) => void, label: string): PausedListener {
  const server = net.createServer({ pauseOnConnect: true }, onConnection);
  let errors = 0;
  let lastLog = 0;
  let listening = false;
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (!listening) return; // listen() reports its own failure
    errors++;
    const now = Date.now();
    if (now - lastLog >= 1_000) {
      lastLog = now;
      process.stderr.write(`handoff ${label}: accept failed (${err.code ?? err.message}); still listening\n`);
    }
  });
  return {
    server,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen({ host, port }, () => {
          server.off('error', onError);
          listening = true;
          resolve(server.address() as AddressInfo);
        });
      });
    },
    stopAccepting() {
      if (server.listening) server.close();
    },
    acceptErrors: () => errors,
  };
}
