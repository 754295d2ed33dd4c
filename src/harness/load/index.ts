// Generator registry: a suite's `load` entries name one of these. New generators (tunnel, abuse, chaos, …)
// register here with a factory that validates its own entry.
import { UsageError } from '../../util/errors.js';
import { createAbuse } from './abuse.js';
import { createChaos } from './chaos.js';
import { createChurn } from './churn.js';
import { createFlood } from './flood.js';
import { createOriginFaults } from './origin-faults-load.js';
import { createTunnel } from './tunnel.js';
import type { GeneratorDefaults, GeneratorFactory, LoadGenerator } from './generator.js';

export const GENERATORS: Record<string, GeneratorFactory> = {
  flood: createFlood,
  churn: createChurn,
  tunnel: createTunnel,
  abuse: createAbuse,
  'origin-faults': createOriginFaults,
  chaos: createChaos,
};

export function registerGenerator(type: string, factory: GeneratorFactory): void {
  GENERATORS[type] = factory;
}

export function createGenerator(entry: Record<string, unknown>, defaults: GeneratorDefaults, index: number): LoadGenerator {
  const type = entry.generator;
  if (typeof type !== 'string' || !(type in GENERATORS)) {
    throw new UsageError(`load[${index}].generator must be one of ${Object.keys(GENERATORS).join(', ')} (got ${JSON.stringify(type)})`);
  }
  const name = entry.name === undefined ? type : entry.name;
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new UsageError(`load[${index}].name must be a word`);
  return GENERATORS[type](name, entry, defaults);
}
