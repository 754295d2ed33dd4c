// Finds (--config, $HANDOFF_CONFIG, or up from the cwd to the repository root), reads and validates
// handoff.config.json, and merges it under the command-line flags (a flag given on the command line always wins).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { readJsonFile } from '../util/read-json-file.js';
import { parseConfig } from './parse.js';
import type { HandoffConfig, StressFlags } from './types.js';
import type { GateConfig } from '../gate/apply.js';

export const DEFAULT_CONFIG_FILE = 'handoff.config.json';
/** names a config file for every run, as --config would (a CI job's, a monorepo's) */
export const CONFIG_ENV = 'HANDOFF_CONFIG';

/**
 * The nearest handoff.config.json from `cwd` up to the repository root (the first directory holding `.git`) or
 * the filesystem root, so `handoff stress` run from a package's subdirectory finds the project's file; null when
 * there is none. A file above the repository is another project's and is never used.
 */
export function discoverConfig(cwd: string, exists: (path: string) => boolean = existsSync): string | null {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, DEFAULT_CONFIG_FILE);
    if (exists(file)) return file;
    if (exists(join(dir, '.git')) || dirname(dir) === dir) return null;
  }
}

/**
 * `--config FILE` must exist; else `$HANDOFF_CONFIG` must; else the discovered file (discoverConfig) is used when
 * there is one. Returns the validated config (an empty one when there is no file). Throws UsageError (exit 2) on
 * any problem.
 */
export function loadConfig(path: string | undefined, cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): HandoffConfig {
  const named = path ?? (env[CONFIG_ENV] ? env[CONFIG_ENV] : undefined);
  const file = named !== undefined ? resolve(cwd, named) : discoverConfig(cwd);
  if (file === null) return parseConfig({}, DEFAULT_CONFIG_FILE, cwd);
  if (!existsSync(file))
    throw new UsageError(path !== undefined ? `config file ${path} not found` : `config file ${named} (${CONFIG_ENV}) not found`);
  const raw = readJsonFile(file, 'config file');
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
