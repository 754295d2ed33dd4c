// Strategy registry: name → module, loaded lazily so a process only loads the strategy it runs.
import type { ProxyOptions, StrategyName } from '../options.js';
import type { Strategy } from './strategy.js';

const loaders: Record<StrategyName, () => Promise<{ createStrategy: (o: ProxyOptions) => Strategy }>> = {
  inline: () => import('./inline.js'),
  'per-connection': () => import('./per-connection.js'),
  prefork: () => import('./prefork.js'),
  cluster: () => import('./cluster.js'),
  fork: () => import('./fork.js'),
};

export async function loadStrategy(options: ProxyOptions): Promise<Strategy> {
  const mod = await loaders[options.strategy]();
  return mod.createStrategy(options);
}
