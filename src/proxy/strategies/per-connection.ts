// STUB — replaced by the strategy work.
import type { ProxyOptions } from '../options.js';
import type { Strategy } from './strategy.js';
export function createStrategy(_options: ProxyOptions): Strategy {
  throw new Error('strategy per-connection not implemented yet');
}
