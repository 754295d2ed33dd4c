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

/**
 * The config merged under the command line of `handoff stress`: a flag given on the command line wins,
 * ignore lists add up, and a target on the command line (a command after `--`, or --strategy) replaces
 * the config's target entirely (its command and its proxy options alike).
 */
export function mergeStressInvocation(
  config: HandoffConfig,
  cliFlags: Record<string, unknown>,
  cliCommand: string[] = [],
): { flags: Record<string, unknown>; command: string[] } {
  const cliNamesTarget = cliCommand.length > 0 || cliFlags.strategy !== undefined || cliFlags.attach !== undefined;
  const fromConfig: StressFlags = { ...(cliNamesTarget ? {} : config.targetFlags), ...config.runFlags };
  if (config.suite) fromConfig.suite = config.suite;
  if (config.report.dir) fromConfig.reportDir = config.report.dir;
  if (config.report.formats) fromConfig.format = config.report.formats.join(',');
  const flags: Record<string, unknown> = { ...fromConfig };
  for (const [key, value] of Object.entries(cliFlags)) if (value !== undefined) flags[key] = value;
  const cliIgnores = Array.isArray(cliFlags.ignore) ? (cliFlags.ignore as string[]) : [];
  if (config.ignores.length || cliIgnores.length) flags.ignore = [...config.ignores, ...cliIgnores];
  const command = cliNamesTarget ? cliCommand : (config.command ?? []);
  return { flags, command };
}

export const gateOf = (config: HandoffConfig): GateConfig => ({ thresholds: config.thresholds, allowList: config.allowList });
