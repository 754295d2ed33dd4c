// Finds, reads and validates handoff.config.json, and merges it under the command-line flags
// (a flag given on the command line always wins over the file).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { parseConfig } from './parse.js';
import type { HandoffConfig, StressFlags } from './types.js';
import type { GateConfig } from '../gate/apply.js';

export const DEFAULT_CONFIG_FILE = 'handoff.config.json';

/**
 * `--config FILE` must exist; without it, `./handoff.config.json` is used when present. Returns the
 * validated config (an empty one when there is no file). Throws UsageError (exit 2) on any problem.
 */
export function loadConfig(path: string | undefined, cwd: string = process.cwd()): HandoffConfig {
  const file = resolve(cwd, path ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (path !== undefined) throw new UsageError(`config file ${path} not found`);
    return parseConfig({}, DEFAULT_CONFIG_FILE, cwd);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  return { ...parseConfig(raw, file, dirname(file)), source: file };
}

/** The config as `handoff stress` flags, merged under the CLI's own (CLI wins; ignore lists add up). */
export function mergeStressFlags(config: HandoffConfig, cli: Record<string, unknown>): Record<string, unknown> {
  const fromConfig: StressFlags = { ...config.targetFlags, ...config.runFlags };
  if (config.suite) fromConfig.suite = config.suite;
  if (config.report.dir) fromConfig.reportDir = config.report.dir;
  if (config.report.formats) fromConfig.format = config.report.formats.join(',');
  const merged: Record<string, unknown> = { ...fromConfig };
  for (const [key, value] of Object.entries(cli)) if (value !== undefined) merged[key] = value;
  // a CLI --strategy replaces a config command target and vice versa, handled by the caller via config.command
  const cliIgnores = Array.isArray(cli.ignore) ? (cli.ignore as string[]) : [];
  if (config.ignores.length || cliIgnores.length) merged.ignore = [...config.ignores, ...cliIgnores];
  return merged;
}

export const gateOf = (config: HandoffConfig): GateConfig => ({ thresholds: config.thresholds, allowList: config.allowList });
