import type { AddressInfo } from 'node:net';
import type { ProxyOptions } from '../options.js';

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

/** One way of getting accepted connections to the shared forward-proxy code. */
export interface Strategy {
  readonly name: string;
  /** Bind and start serving; resolves once connections are accepted. */
  listen(): Promise<AddressInfo>;
  pool(): PoolDeclaration;
  /** Stop accepting, let in-flight work finish up to graceMs, then terminate, escalate and reap children. */
  shutdown(graceMs: number): Promise<void>;
  /** Counters of a process-managing strategy (live, spawned, crashes, …): printed as a `stats` line on SIGUSR2. */
  stats?(): object;
}

export type StrategyFactory = (options: ProxyOptions) => Strategy;
