// Options of the reference proxy, shared by every strategy and by the harness that launches it. Each option is one
// row of option-table.ts (flag, help, default, parser, strategies, where it may be set); the type is written out
// here, with what each field means, and the table is checked against it at compile time.
import type { FaultName, HANDOFF_MODES, StrategyName } from './option-table.js';

export { DEFAULT_PROXY_OPTIONS, FAULTS, STRATEGIES, type FaultName, type StrategyName } from './option-table.js';

export type HandoffMode = (typeof HANDOFF_MODES)[number];

export interface ProxyOptions {
  strategy: StrategyName;
  host: string;
  port: number;
  /** per-connection: how the accepted socket reaches the child */
  handoff: HandoffMode;
  /** per-connection: children booted and idle ahead of demand */
  spares: number;
  /** per-connection / fork: cap of live children; the master stops accepting at the cap */
  maxChildren: number;
  /** prefork / cluster: worker count */
  workers: number;
  /** prefork: recycle a worker after this many connections (0 = never) */
  maxConnectionsPerChild: number;
  fault: FaultName | null;
  /** share of connections (children, for orphan-on-shutdown) the fault bites: 0 < rate <= 1 */
  faultRate: number;
  /** destinations allowed besides loopback */
  allowHosts: string[];
  /** ports CONNECT may reach */
  connectPorts: number[];
  /** "user:pass" for Basic proxy auth, or null (from HANDOFF_PROXY_AUTH or --auth-file: credentials.ts) */
  auth: string | null;
  /** bound to a non-loopback address on purpose (--public): auth required, this host no default destination */
  public: boolean;
  upstreamTimeoutMs: number;
  headersTimeoutMs: number;
  /** idle keep-alive client connections are closed after this */
  keepAliveTimeoutMs: number;
  maxBodyBytes: number | null;
  maxHeaderSize: number;
  /** SIGTERM: in-flight work may finish for this long before children are terminated */
  shutdownGraceMs: number;
  /** per-connection: a child that outlives its connection by this long is killed */
  childLingerMs: number;
  /** a CONNECT tunnel with no byte either way for this long is closed (both sides) */
  tunnelIdleTimeoutMs: number;
}
