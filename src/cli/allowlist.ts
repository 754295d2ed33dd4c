// `handoff allowlist --from <run dir> --expires <date> --reason …`: the allow-list entries that would waive that
// run's failing checks (allow-from-report.ts), printed as a config fragment on stdout, or with --write merged into
// the config file (the one stress would read, else ./handoff.config.json). Refuses an expiry already past (such an
// entry would fail the run at once) and says what an allow-list cannot waive (thresholds, an inconclusive run).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_ENV, DEFAULT_CONFIG_FILE, discoverConfig } from '../config/load.js';
import { parseConfig } from '../config/parse.js';
import { allowEntriesFor, mergeAllowList } from '../gate/allow-from-report.js';
import { applyAllowList, parseAllowList, parseExpiry } from '../gate/allow-list.js';
import { readReport } from '../report/read.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';

export interface AllowlistFlags {
  from: string;
  expires: string;
  reason: string;
  write?: boolean;
  config?: string;
}

export async function allowlistCommand(
  flags: AllowlistFlags,
  io: { stdout?: (s: string) => void; stderr?: (s: string) => void; now?: Date; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const out = io.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = io.stderr ?? ((s: string) => void process.stderr.write(s));
  const now = io.now ?? new Date();
  const cwd = io.cwd ?? process.cwd();
  const env = io.env ?? process.env;
  if (!flags.reason.trim()) throw new UsageError('--reason: say why the leak is allowed and who fixes it (a ticket)');
  if (parseExpiry(flags.expires, '--expires') <= now.getTime())
    throw new UsageError(`--expires ${flags.expires} is already past: an expired entry fails the run`);
  const report = readReport(flags.from);
  const entries = allowEntriesFor(report, { reason: flags.reason, expires: flags.expires });
  // the entries as the gate will read them: each one valid, and together they cover every failure
  const parsed = parseAllowList(entries, 'allowList');
  const waived = applyAllowList(report.checks, parsed, now).checks.filter((c) => !c.pass && c.allowedBy).length;
  const failing = report.checks.filter((c) => !c.pass && !c.allowedBy).length;
  err(
    `handoff: ${entries.length} allow-list entr${entries.length === 1 ? 'y' : 'ies'} waiving ${waived} of ${failing} failing check${failing === 1 ? '' : 's'} of run ${report.runId}, until ${flags.expires}\n`,
  );
  for (const t of report.thresholds ?? [])
    if (!t.pass) err(`handoff: threshold ${t.metric} ${t.expr} failed: an allow-list does not waive thresholds\n`);
  if (report.verdict === 'inconclusive')
    err('handoff: the run was inconclusive (short of its evidence floor): an allow-list does not make it a pass\n');

  if (!flags.write) {
    out(`${JSON.stringify({ allowList: entries }, null, 2)}\n`);
    return 0;
  }
  const named = flags.config ?? (env[CONFIG_ENV] ? env[CONFIG_ENV] : undefined);
  const file = named !== undefined ? resolve(cwd, named) : (discoverConfig(cwd) ?? resolve(cwd, DEFAULT_CONFIG_FILE));
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`${file}: invalid JSON: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${file}: expected an object`);
  }
  const { config, added } = mergeAllowList(raw, entries);
  // what is written must be a config handoff reads: validated as stress would before it replaces the file
  parseConfig(config, file, resolve(file, '..'));
  writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
  err(
    `handoff: ${added} entr${added === 1 ? 'y' : 'ies'} added to ${file}${added < entries.length ? ` (${entries.length - added} already there)` : ''}\n`,
  );
  return 0;
}
