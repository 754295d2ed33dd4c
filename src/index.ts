// Programmatic API: everything the CLI does, callable from code.
export * from './proxy/options.js';
export { parseProxyFlags, proxyOptionsToArgs } from './proxy/parse-options.js';
export type { Strategy, PoolDeclaration } from './proxy/strategies/strategy.js';
export { loadStrategy } from './proxy/strategies/index.js';
export { createForwardProxy, type ForwardProxy, type ForwardHooks } from './proxy/forward.js';
export * from './report/schema.js';
export { runStress, makeRunId, type RunOptions, type RunResult } from './harness/run.js';
export { stressOptionsFromFlags } from './harness/stress-command.js';
export { loadSuite, parseSuite, suiteNames, type Suite } from './harness/suite.js';
export { Sampler, type SamplerOptions } from './harness/probes/sampler.js';
export { CHECKS, evaluateAll } from './harness/checks/index.js';
export { writeReports, renderReport, type ReportFormat } from './report/write.js';
export { applyGate, gateFailures, type GateConfig } from './gate/apply.js';
export { loadConfig } from './config/load.js';
export { runComparison, compareOptionsFromFlags, type CompareOptions, type CompareResult } from './compare/compare-command.js';
export { UsageError, TargetStartError } from './util/errors.js';
