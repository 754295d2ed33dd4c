// The lines the proxy prints on stdout once it listens, and the pool they declare; the harness parses them
// (imports only this file of the proxy's). Stable contract:
//   listening 127.0.0.1:PORT
//   pool {"resident":N,"cap":M}
// and, on SIGUSR2, the strategy's counters:
//   stats {"live":N,…}

/**
 * What a strategy is entitled to keep: the harness reads it (from the `pool` line the proxy prints) so a
 * legitimate pool never reads as a leak, and a cap overrun always does.
 */
export interface PoolDeclaration {
  /** child processes the strategy keeps alive at rest (prefork/cluster workers, warm spares) */
  resident: number;
  /** most live child processes it may ever have at once */
  cap: number;
}

export function formatListening(host: string, port: number): string {
  return `listening ${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function formatPool(pool: PoolDeclaration): string {
  return `pool ${JSON.stringify(pool)}`;
}

export function formatStats(stats: object): string {
  return `stats ${JSON.stringify(stats)}`;
}

export function parseListening(line: string): { host: string; port: number } | null {
  const m = /^listening (\[[^\]]+\]|[^\s:]+):(\d+)\s*$/.exec(line.trim());
  if (!m) return null;
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function parsePool(line: string): PoolDeclaration | null {
  const m = /^pool (\{.*\})\s*$/.exec(line.trim());
  if (!m) return null;
  try {
    const v = JSON.parse(m[1]) as Partial<PoolDeclaration>;
    if (typeof v.resident !== 'number' || typeof v.cap !== 'number') return null;
    return { resident: v.resident, cap: v.cap };
  } catch {
    return null;
  }
}
