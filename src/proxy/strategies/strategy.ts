import type { AddressInfo } from 'node:net';
import type { ProxyOptions } from '../options.js';
import type { PoolDeclaration } from '../protocol.js';

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
