// Options of the reference proxy, shared by every strategy and by the harness that launches it.
export const STRATEGIES = ['inline', 'per-connection', 'prefork', 'cluster', 'fork'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export const FAULTS = ['no-parent-close', 'zombie', 'orphan-on-shutdown', 'fd-leak', 'child-stall', 'ack-death'] as const;
export type FaultName = (typeof FAULTS)[number];

export type HandoffMode = 'ipc' | 'stdio';

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

export const DEFAULT_PROXY_OPTIONS: ProxyOptions = {
  strategy: 'inline',
  host: '127.0.0.1',
  port: 0,
  handoff: 'ipc',
  spares: 0,
  maxChildren: 64,
  workers: 2,
  maxConnectionsPerChild: 0,
  fault: null,
  faultRate: 1,
  allowHosts: [],
  connectPorts: [443],
  auth: null,
  public: false,
  upstreamTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxBodyBytes: null,
  maxHeaderSize: 16 * 1024,
  shutdownGraceMs: 5_000,
  childLingerMs: 10_000,
  // tinyproxy's default Timeout: long enough for any interactive tunnel, short of holding a child forever
  tunnelIdleTimeoutMs: 600_000,
};
