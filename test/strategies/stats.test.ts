// The control channel: SIGUSR2 makes `handoff serve` print a `stats {…}` line with its strategy's counters.
import net from 'node:net';
import t from 'tap';
import { startProxy } from '../helpers/proxy-process.js';

/** one origin-form request (answered 400 by the proxy): enough to make a per-connection master spawn a child */
function oneRequest(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    s.on('data', () => {});
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    s.setTimeout(10_000, () => s.destroy());
  });
}

async function statsLine(output: () => string, deadlineMs = 10_000): Promise<Record<string, number>> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const line = output()
      .split('\n')
      .find((l) => l.startsWith('stats '));
    if (line) return JSON.parse(line.slice('stats '.length)) as Record<string, number>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no stats line within ${deadlineMs} ms:\n${output()}`);
}

for (const [strategy, args, expect] of [
  ['per-connection', [], (s: Record<string, number>) => s.spawned >= 1],
  ['prefork', ['--workers', '2'], (s: Record<string, number>) => s.live === 2 && s.spawned >= 2],
  ['cluster', ['--workers', '2'], (s: Record<string, number>) => s.live === 2 && s.spawned >= 2],
] as const) {
  t.test(`${strategy}: SIGUSR2 prints the strategy's counters`, async (t) => {
    const proxy = await startProxy(strategy, [...args]);
    t.teardown(() => proxy.killGroup());
    await oneRequest(proxy.port);
    process.kill(proxy.pid, 'SIGUSR2');
    const stats = await statsLine(() => proxy.output());
    t.comment(JSON.stringify(stats));
    t.ok(expect(stats), `counters make sense: ${JSON.stringify(stats)}`);
    t.ok(proxy.alive(), 'the signal does not stop the proxy');
  });
}
