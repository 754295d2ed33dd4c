// Programmatic API.
export * from './proxy/options.js';
export type { Strategy, PoolDeclaration } from './proxy/strategies/strategy.js';
export * from './report/schema.js';
export { UsageError, TargetStartError } from './util/errors.js';
