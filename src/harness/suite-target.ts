// A suite's `target` section: options the suite needs from the target it runs against, e.g. a short headers
// timeout for slowloris, a short upstream timeout for hanging origins, a small child cap for "severe", a low
// descriptor limit. Flags given on the command line (or in the config) win over the suite's.
//   "target": { "headersTimeout": "2s", "upstreamTimeout": "1s", "maxChildren": 8, "nofile": 512 }
import type { RawProxyFlags } from '../proxy/parse-options.js';
import { proxyFlagKeysFor, type ProxyFlagKey } from '../proxy/option-table.js';
import { parseProxyFlags } from '../proxy/parse-options.js';
import { UsageError } from '../util/errors.js';
import { parseCount } from '../util/duration.js';
import type { TargetSpec } from './target.js';

/** reference-proxy options a suite may set: the rows of proxy/option-table.ts marked `suite` (the strategy, fault
 * and address stay the user's choice) */
export const SUITE_PROXY_KEYS: readonly ProxyFlagKey[] = proxyFlagKeysFor('suite');

export interface SuiteTarget {
  /** reference-proxy flags, as the CLI would give them */
  proxy: RawProxyFlags;
  /** descriptor limit (prlimit), for any target */
  nofile?: number;
}

export function parseSuiteTarget(where: string, raw: unknown): SuiteTarget {
  if (raw === undefined) return { proxy: {} };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UsageError(`${where}: target must be an object of target options`);
  const proxy: RawProxyFlags = {};
  let nofile: number | undefined;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new UsageError(`${where}: target.${k} must be a string or a number`);
    if (k === 'nofile') nofile = parseCount(String(v), `${where}: target.nofile`, 16);
    else if ((SUITE_PROXY_KEYS as readonly string[]).includes(k)) proxy[k as ProxyFlagKey] = String(v);
    else throw new UsageError(`${where}: unknown target option "${k}" (known: nofile, ${SUITE_PROXY_KEYS.join(', ')})`);
  }
  parseProxyFlags(proxy); // every value checked now, not when the run starts
  return nofile === undefined ? { proxy } : { proxy, nofile };
}

/** CLI proxy flags over the suite's: what the run launches. */
export function mergeProxyFlags(suite: SuiteTarget | undefined, cli: RawProxyFlags): RawProxyFlags {
  return { ...(suite?.proxy ?? {}), ...cli };
}

/**
 * A reference proxy running a suite with tunnels must let CONNECT reach the harness's echo port (known only
 * once the origin is up); a command target is the user's to configure.
 */
export function allowEchoPort(spec: TargetSpec, load: Record<string, unknown>[], echoPort: number): TargetSpec {
  if (spec.kind !== 'reference-proxy' || !load.some((e) => e.generator === 'tunnel')) return spec;
  if (spec.proxy.connectPorts.includes(echoPort)) return spec;
  return { ...spec, proxy: { ...spec.proxy, connectPorts: [...spec.proxy.connectPorts, echoPort] } };
}
