// Generator registry: a suite's `load` entries name one of these. New generators (tunnel, abuse, chaos, …)
// register here with a factory that validates its own entry.
import { UsageError } from '../../util/errors.js';
import { createAbuse } from './abuse.js';
import { createChaos } from './chaos.js';
import { createChurn } from './churn.js';
import { createExternal } from './external.js';
import { createFlood } from './flood.js';
import { createOriginFaults } from './origin-faults-load.js';
import { createTunnel } from './tunnel.js';
import { CaseGenerator } from './cases.js';
import { takeKeys } from './entry-extra.js';
import type { EvidenceFloor, GeneratorDefaults, GeneratorFactory, LoadGenerator } from './generator.js';

export const GENERATORS: Record<string, GeneratorFactory> = {
  flood: createFlood,
  churn: createChurn,
  tunnel: createTunnel,
  abuse: createAbuse,
  'origin-faults': createOriginFaults,
  chaos: createChaos,
  external: createExternal,
};

export function registerGenerator(type: string, factory: GeneratorFactory): void {
  GENERATORS[type] = factory;
}

/**
 * The evidence floor of each generator type by default (a suite entry's `floor` overrides the number): enough
 * of its unit for its checks to say something. Scripted cases: each case at least once. Chaos has none. An `aim`
 * (churn's; a suite entry's `"aim": N` changes it, `0` drops it) is pursued past the floor for power, time-bounded.
 */
export const CHURN_AIM = 475;

const FLOORS: Record<string, { unit: string; min: (g: LoadGenerator) => number; aim?: number; count: EvidenceFloor['count'] }> = {
  flood: { unit: 'responses', min: () => 100, count: (o) => o.stats.requests },
  // each churn connection is one handed off: 475 of them let a 1-in-100 leak strike twice with 95 % probability
  churn: { unit: 'connections EOF-timed', min: () => 50, aim: CHURN_AIM, count: (o) => o.eofChecked },
  tunnel: { unit: 'tunnels', min: () => 4, count: (o) => o.stats.requests },
  abuse: { unit: 'cases', min: (g) => (g instanceof CaseGenerator ? g.cases.length : 0), count: (o) => o.stats.requests },
  'origin-faults': { unit: 'cases', min: (g) => (g instanceof CaseGenerator ? g.cases.length : 0), count: (o) => o.stats.requests },
  // an external tool (--load-cmd): the responses it reported, when its output was read (autocannon, wrk, Locust);
  // a tool in no known format owes none (its count is unknown, not zero)
  external: {
    unit: 'responses (as the tool reported them)',
    min: () => 1,
    count: (o) => (o.stats.extra?.parsed ? o.stats.requests : null),
  },
};

export function createGenerator(entry: Record<string, unknown>, defaults: GeneratorDefaults, index: number): LoadGenerator {
  const { taken, rest } = takeKeys(entry, ['floor', 'aim']);
  const generator = createBare(rest, defaults, index);
  const known = Object.hasOwn(FLOORS, String(entry.generator)) ? FLOORS[String(entry.generator)] : undefined;
  const floor = taken.floor;
  if (floor !== undefined && (typeof floor !== 'number' || !Number.isInteger(floor) || floor < 0 || floor > 10_000_000)) {
    throw new UsageError(`load "${generator.name}".floor must be an integer from 0 (no floor) to 10000000`);
  }
  if (floor !== undefined && !known && floor > 0)
    throw new UsageError(`load "${generator.name}": a ${String(entry.generator)} generator has no evidence floor`);
  const aim = taken.aim;
  if (aim !== undefined && (typeof aim !== 'number' || !Number.isInteger(aim) || aim < 0 || aim > 10_000_000)) {
    throw new UsageError(`load "${generator.name}".aim must be an integer from 0 (no aim) to 10000000`);
  }
  if (aim !== undefined && !known && aim > 0)
    throw new UsageError(`load "${generator.name}": a ${String(entry.generator)} generator has no evidence floor to aim past`);
  if (known) {
    const min = floor ?? known.min(generator);
    const aimed = aim ?? known.aim;
    generator.floor = { unit: known.unit, min, count: known.count, ...(aimed && aimed > min ? { aim: aimed } : {}) };
  }
  return generator;
}

function createBare(entry: Record<string, unknown>, defaults: GeneratorDefaults, index: number): LoadGenerator {
  const type = entry.generator;
  if (typeof type !== 'string' || !Object.hasOwn(GENERATORS, type)) {
    throw new UsageError(`load[${index}].generator must be one of ${Object.keys(GENERATORS).join(', ')} (got ${JSON.stringify(type)})`);
  }
  const name = entry.name === undefined ? type : entry.name;
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new UsageError(`load[${index}].name must be a word`);
  return GENERATORS[type](name, entry, defaults);
}
