// A churn client for the strategy tests: one absolute-form request with `Connection: close` per
// connection, then wait for EOF. Reports whether the response arrived and whether EOF came in time —
// the observable of a forgotten parent close.
import net from 'node:net';

export interface ChurnResult {
  status: number | null;
  /** the server's FIN arrived within eofTimeoutMs */
  eof: boolean;
  /** the connection was reset */
  reset: boolean;
  ms: number;
}

export function churnOnce(proxyPort: number, originPort: number, path = '/churn', eofTimeoutMs = 5_000): Promise<ChurnResult> {
  return new Promise((resolve) => {
    const start = Date.now();
    let data = '';
    let settled = false;
    const socket = net.connect(proxyPort, '127.0.0.1');
    const finish = (eof: boolean, reset: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : null, eof, reset, ms: Date.now() - start });
    };
    const timer = setTimeout(() => finish(false, false), eofTimeoutMs);
    socket.on('connect', () => {
      socket.write(`GET http://127.0.0.1:${originPort}${path} HTTP/1.1\r\nHost: 127.0.0.1:${originPort}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('end', () => finish(true, false));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(false, err.code === 'ECONNRESET'));
  });
}

/** n connections, `concurrency` at a time. */
export async function churn(proxyPort: number, originPort: number, n: number, concurrency: number, path?: string): Promise<ChurnResult[]> {
  const results: ChurnResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        results.push(await churnOnce(proxyPort, originPort, path));
      }
    }),
  );
  return results;
}

export async function poll(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
