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
 * of its unit for its checks to say something. Scripted cases: each case at least once. Chaos has none.
 */
const FLOORS: Record<string, { unit: string; min: (g: LoadGenerator) => number; count: EvidenceFloor['count'] }> = {
  flood: { unit: 'responses', min: () => 100, count: (o) => o.stats.requests },
  churn: { unit: 'connections EOF-timed', min: () => 50, count: (o) => o.eofChecked },
  tunnel: { unit: 'tunnels', min: () => 4, count: (o) => o.stats.requests },
  abuse: { unit: 'cases', min: (g) => (g instanceof CaseGenerator ? g.cases.length : 0), count: (o) => o.stats.requests },
  'origin-faults': { unit: 'cases', min: (g) => (g instanceof CaseGenerator ? g.cases.length : 0), count: (o) => o.stats.requests },
};

export function createGenerator(entry: Record<string, unknown>, defaults: GeneratorDefaults, index: number): LoadGenerator {
  const { taken, rest } = takeKeys(entry, ['floor']);
  const generator = createBare(rest, defaults, index);
  const known = FLOORS[String(entry.generator)];
  const floor = taken.floor;
  if (floor !== undefined && (typeof floor !== 'number' || !Number.isInteger(floor) || floor < 0 || floor > 10_000_000)) {
    throw new UsageError(`load "${generator.name}".floor must be an integer from 0 (no floor) to 10000000`);
  }
  if (floor !== undefined && !known && floor > 0) throw new UsageError(`load "${generator.name}": a ${String(entry.generator)} generator has no evidence floor`);
  if (known) generator.floor = { unit: known.unit, min: floor ?? known.min(generator), count: known.count };
  return generator;
}

function createBare(entry: Record<string, unknown>, defaults: GeneratorDefaults, index: number): LoadGenerator {
  const type = entry.generator;
  if (typeof type !== 'string' || !(type in GENERATORS)) {
    throw new UsageError(`load[${index}].generator must be one of ${Object.keys(GENERATORS).join(', ')} (got ${JSON.stringify(type)})`);
  }
  const name = entry.name === undefined ? type : entry.name;
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new UsageError(`load[${index}].name must be a word`);
  return GENERATORS[type](name, entry, defaults);
}
