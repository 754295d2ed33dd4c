// Programmatic API: everything the CLI does, callable from code. `stress()` and `assertClean()` are the entry
// points; the rest are the parts they are made of.
export { stress, type StressOptions, type StressResult, type Duration } from './api/stress.js';
export { assertClean, LeakError } from './api/assert-clean.js';
export { exec, type ExecOptions, type ExecResult } from './api/exec.js';
export { runExec, execExitCode } from './harness/exec.js';
export * from './proxy/options.js';
export { parseProxyFlags, proxyOptionsToArgs } from './proxy/parse-options.js';
export type { Strategy } from './proxy/strategies/strategy.js';
export type { PoolDeclaration } from './proxy/protocol.js';
export { loadStrategy } from './proxy/strategies/index.js';
export { createForwardProxy, type ForwardProxy, type ForwardHooks } from './proxy/forward.js';
export * from './model/report.js';
export { reportProblems, isReport } from './report/validate.js';
export { runStress, makeRunId, type RunOptions, type RunResult } from './harness/run.js';
export { stressOptionsFromFlags } from './cli/stress.js';
export { loadSuite, parseSuite, suiteNames, type Suite } from './harness/suite.js';
export { Sampler, type SamplerOptions } from './harness/probes/sampler.js';
export { CHECKS, evaluateAll } from './harness/checks/index.js';
export { writeReports, renderReport, type ReportFormat } from './report/write.js';
export { applyGate, gateFailures, type GateConfig } from './gate/apply.js';
export { loadConfig } from './config/load.js';
export { runComparison, compareOptionsFromFlags, type CompareOptions, type CompareResult } from './cli/compare.js';
export { UsageError, TargetStartError } from './util/errors.js';
