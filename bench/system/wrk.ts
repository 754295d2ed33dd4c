// wrk (Debian's /usr/bin/wrk) as the yardstick of our generators: one thread, the same connection count,
// keep-alive or `Connection: close`. Its summary is parsed by parseWrkOutput (pure).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { registerCleanup, signalGroup } from '../../src/harness/cleanup.js';

export const WRK = '/usr/bin/wrk';

export interface WrkResult {
  perSecond: number;
  requests: number;
  p50Ms: number | null;
  p99Ms: number | null;
  socketErrors: number;
  non2xx: number;
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : v;
}

export function parseWrkOutput(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!rps) throw new Error(`wrk printed no Requests/sec: ${text.slice(0, 300)}`);
  const total = /(\d+) requests in/.exec(text);
  const pct = (p: string): number | null => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    return m ? Math.round(toMs(m[1]!, m[2]!) * 1000) / 1000 : null;
  };
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    perSecond: Number(rps[1]),
    requests: total ? Number(total[1]) : 0,
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    socketErrors: se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

export function wrkUnavailable(): string | null {
  return existsSync(WRK) ? null : `${WRK} is not installed (Debian package wrk): generator headroom not measured`;
}

/** Runs wrk for whole seconds (its -d takes no milliseconds) in its own process group, killed on every path. */
export async function runWrk(
  url: string,
  opts: { connections: number; seconds: number; close: boolean; threads?: number },
): Promise<WrkResult> {
  const args = [
    `-t${opts.threads ?? 1}`,
    `-c${opts.connections}`,
    `-d${Math.max(1, Math.round(opts.seconds))}s`,
    '--latency',
    ...(opts.close ? ['-H', 'Connection: close'] : []),
    url,
  ];
  const child = spawn(WRK, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const release = registerCleanup((sig) => void signalGroup(child.pid!, sig));
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const killer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), (opts.seconds + 10) * 1000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`wrk exited ${code}: ${out.slice(0, 300)}`);
    return parseWrkOutput(out);
  } finally {
    clearTimeout(killer);
    signalGroup(child.pid!, 'SIGKILL');
    release();
  }
}
