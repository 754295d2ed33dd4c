// The least a single Node process can do per churn connection: connect, write one request, read to EOF,
// next — no parsing, no timers, no token, no bookkeeping. Run beside the churn generator in the headroom
// benchmark, it separates what the generator costs from what one Node event loop costs (libuv connect,
// stream setup, close), which no generator written in Node can go below.
import net from 'node:net';

export interface BareChurnResult {
  perSecond: number;
  connections: number;
  errors: number;
  /** this process's CPU (user + system) per completed connection */
  cpuUsPerConn: number;
}

export async function bareChurn(target: { host: string; port: number }, connections: number, durationMs: number): Promise<BareChurnResult> {
  const request = `GET / HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nConnection: close\r\n\r\n`;
  const started = Date.now();
  const deadline = started + durationMs;
  const cpu0 = process.cpuUsage();
  let done = 0;
  let errors = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = net.connect(target.port, target.host);
      // bounded like every load: a server that never closes cannot hold the loop past its deadline
      const guard = setTimeout(() => socket.destroy(), Math.max(1_000, deadline - Date.now() + 1_000));
      socket.on('connect', () => socket.write(request));
      socket.on('data', () => {});
      socket.on('end', () => {
        done++;
        socket.destroy();
      });
      socket.on('error', () => {
        errors++;
        socket.destroy();
      });
      socket.on('close', () => {
        clearTimeout(guard);
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const elapsed = Date.now() - started;
  return {
    perSecond: Math.round((done / Math.max(1, elapsed)) * 1000 * 10) / 10,
    connections: done,
    errors,
    cpuUsPerConn: done > 0 ? Math.round(((cpu.user + cpu.system) / done) * 10) / 10 : Number.NaN,
  };
}
