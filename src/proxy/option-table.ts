// Every option of the reference proxy, once: one row per flag of `handoff serve` (and of `handoff stress`, which
// launches it), in --help order. The row gives the flag and its help, the ProxyOptions field it sets with that
// field's default, the parser (with its UsageError), the strategies that use it, whether a suite's or the config
// file's `target` may set it, and how the harness writes it back on argv. Everything else is derived from it:
//   the commander declarations    cli/main.ts proxyFlags()
//   RawProxyFlags, PROXY_FLAG_KEYS, parseProxyFlags, rejectInapplicableFlags, proxyOptionsToArgs   parse-options.ts
//   DEFAULT_PROXY_OPTIONS (options.ts re-exports it), SUITE_PROXY_KEYS (harness/suite-target.ts), PROXY_KEYS (config/parse.ts)
//   the `target` options of schema/config.schema.json   config/schema.ts (npm run gen:schema writes the file)
// It is one long literal because it is a table: one row per option, read top to bottom like --help.
// ProxyOptions itself stays written out in options.ts (its fields documented); a compile-time check below keeps
// the table's fields and ProxyOptions' keys the same set.
import type { HandoffMode, ProxyOptions } from './options.js';
import { UsageError } from '../util/errors.js';
import { parseCount, parseDuration } from '../util/duration.js';
import { AUTH_ENV } from './credentials.js';

// the choices of --strategy and --fault (options.ts re-exports them; here so that this table needs nothing at run
// time from options.ts, which re-exports DEFAULT_PROXY_OPTIONS from it)
export const STRATEGIES = ['inline', 'per-connection', 'prefork', 'cluster', 'fork'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export const HANDOFF_MODES = ['ipc', 'stdio'] as const;

export const FAULTS = ['no-parent-close', 'zombie', 'orphan-on-shutdown', 'fd-leak', 'child-stall', 'ack-death'] as const;
export type FaultName = (typeof FAULTS)[number];

/**
 * Most processes a strategy may start eagerly (prefork/cluster workers, warm spares): each is a Node
 * process (~40 MB, ~60 ms of CPU to boot), so anything larger is a typo, not a configuration.
 */
export const MAX_EAGER_PROCESSES = 256;

/**
 * Most live children a cap may allow: each is a process (a Node one, 40 MB, for per-connection); beyond this a
 * cap no longer protects the machine, it is a typo.
 */
export const MAX_CHILDREN = 4096;

interface RowBase {
  /** the flag as `handoff serve` spells it (the row's key is its camelCase, as commander names it) */
  flag: `--${string}`;
  help: string;
  /** accepted but left out of --help (--auth: taken only to refuse it with a better message) */
  hidden?: true;
  /** the strategies that use it (absent: all); any other refuses it and is never passed it (proxyOptionsToArgs) */
  strategies?: readonly StrategyName[];
  /** a suite's `target` may set it (harness/suite-target.ts) */
  suite: boolean;
  /** the config file's `target` (and so stress()'s options) may set it (config/parse.ts) */
  config: boolean;
}

/**
 * How a config file writes the value, as the JSON schema states it (config/schema.ts): a string; a number (or its
 * text: config/parse.ts hands every value to the flag's parser as text); one of a list of choices; or a list (one
 * value or an array of them, joined with commas for the parser).
 */
export type ConfigValue = 'string' | 'number' | { enum: readonly string[] } | { list: 'string' | 'number' };

/** A flag with a value (`--port <n>`) that sets one ProxyOptions field. */
interface ValueRow<F extends keyof ProxyOptions> extends RowBase {
  /** the value's placeholder in --help */
  value: `<${string}>`;
  field: F;
  default: ProxyOptions[F];
  json: ConfigValue;
  /** flag text → the field's value, or a UsageError; `o` holds the rows above already parsed. Absent: set elsewhere */
  parse?(text: string, o: Readonly<ProxyOptions>): ProxyOptions[F];
  /** argv: 'changed' (default) when the value's text differs from the default's; 'always'; 'never' */
  argv?: 'always' | 'never';
  /** the value as the flag's text on argv (default String) */
  text?(value: ProxyOptions[F]): string;
  /** argv: only when this holds as well */
  argvIf?(o: ProxyOptions): boolean;
}

type BooleanField = { [F in keyof ProxyOptions]: ProxyOptions[F] extends boolean ? F : never }[keyof ProxyOptions];

/** A switch (`--public`, no value): commander gives true; a config or suite would give the string. */
interface SwitchRow<F extends BooleanField> extends RowBase {
  value: null;
  field: F;
  default: boolean;
  parse(given: string | boolean): boolean;
}

/** A flag accepted only to be refused with a message saying what to do instead; it sets nothing. */
interface RefusedRow extends RowBase {
  value: `<${string}>`;
  field: null;
  parse(text: string): never;
}

// the helpers only pin each row's type (its field ties its default and its parser together)
const option = <F extends keyof ProxyOptions>(row: ValueRow<F>): ValueRow<F> => row;
const toggle = <F extends BooleanField>(row: SwitchRow<F>): SwitchRow<F> => row;
const refused = (row: RefusedRow): RefusedRow => row;

/** parseCount with an upper bound: one usage line naming the range. */
function parseBounded(text: string, what: string, min: number, max: number): number {
  const n = parseCount(text, what, min);
  if (n > max) throw new UsageError(`invalid ${what} "${text}" (expected an integer from ${min} to ${max})`);
  return n;
}

/** --fault-rate: a share in (0, 1]; meaningless without a fault. */
function parseFaultRate(text: string, fault: FaultName | null): number {
  const rate = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(rate > 0 && rate <= 1)) throw new UsageError(`invalid --fault-rate "${text}" (expected a share of connections, 0 < rate <= 1)`);
  if (fault === null) throw new UsageError('--fault-rate needs --fault');
  return rate;
}

function parseChoice<T extends string>(text: string, choices: readonly T[], what: string): T {
  if (!(choices as readonly string[]).includes(text))
    throw new UsageError(`unknown ${what} "${text}" (expected one of ${choices.join(', ')})`);
  return text as T;
}

const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const ms = (value: number): string => `${value}ms`;

export const PROXY_OPTION_TABLE = {
  strategy: option({
    flag: '--strategy',
    value: '<name>',
    help: `concurrency strategy (${STRATEGIES.join('|')})`,
    field: 'strategy',
    default: 'inline',
    json: { enum: STRATEGIES },
    parse: (text) => parseChoice(text, STRATEGIES, 'strategy'),
    argv: 'always',
    suite: false,
    config: true,
  }),
  port: option({
    flag: '--port',
    value: '<n>',
    help: 'port to listen on (0 picks a free one)',
    field: 'port',
    default: 0,
    json: 'number',
    parse: (text) => {
      const port = parseCount(text, 'port');
      if (port > 65535) throw new UsageError(`invalid port "${text}"`);
      return port;
    },
    // the harness picks the port; a config's "port" is the port of --attach (a command target's key)
    argv: 'always',
    suite: false,
    config: false,
  }),
  host: option({
    flag: '--host',
    value: '<addr>',
    help: 'address to bind (default 127.0.0.1)',
    field: 'host',
    default: '127.0.0.1',
    json: 'string',
    parse: (text) => text,
    argv: 'always',
    suite: false,
    config: true,
  }),
  handoff: option({
    flag: '--handoff',
    value: '<mode>',
    help: 'per-connection: ipc or stdio',
    field: 'handoff',
    default: 'ipc',
    json: { enum: HANDOFF_MODES },
    parse: (text): HandoffMode => {
      if (text !== 'ipc' && text !== 'stdio') throw new UsageError(`invalid --handoff "${text}" (ipc or stdio)`);
      return text;
    },
    strategies: ['per-connection'],
    suite: true,
    config: true,
  }),
  spares: option({
    flag: '--spares',
    value: '<n>',
    help: 'per-connection: warm idle children; fork: children forked ahead, each accepting one connection',
    field: 'spares',
    default: 0,
    json: 'number',
    parse: (text) => parseBounded(text, '--spares', 0, MAX_EAGER_PROCESSES),
    strategies: ['per-connection', 'fork'],
    suite: true,
    config: true,
  }),
  maxChildren: option({
    flag: '--max-children',
    value: '<n>',
    help: 'cap of live children (default 64)',
    field: 'maxChildren',
    default: 64,
    json: 'number',
    parse: (text) => parseBounded(text, '--max-children', 1, MAX_CHILDREN),
    strategies: ['per-connection', 'fork'],
    suite: true,
    config: true,
  }),
  workers: option({
    flag: '--workers',
    value: '<n>',
    help: 'prefork/cluster: worker count (default 2)',
    field: 'workers',
    default: 2,
    json: 'number',
    parse: (text) => parseBounded(text, '--workers', 1, MAX_EAGER_PROCESSES),
    strategies: ['prefork', 'cluster'],
    suite: true,
    config: true,
  }),
  maxConnectionsPerChild: option({
    flag: '--max-connections-per-child',
    value: '<n>',
    help: 'prefork: recycle a worker after N connections',
    field: 'maxConnectionsPerChild',
    default: 0,
    json: 'number',
    parse: (text) => parseCount(text, '--max-connections-per-child'),
    strategies: ['prefork'],
    suite: true,
    config: true,
  }),
  fault: option({
    flag: '--fault',
    value: '<name>',
    help: `canary fault (${FAULTS.join('|')})`,
    field: 'fault',
    default: null,
    json: { enum: FAULTS },
    parse: (text) => parseChoice(text, FAULTS, 'fault'),
    suite: false,
    config: true,
  }),
  faultRate: option({
    flag: '--fault-rate',
    value: '<r>',
    help: 'share of connections the fault bites, 0 < r <= 1 (default 1; HANDOFF_FAULT_SEED replays the draws)',
    field: 'faultRate',
    default: 1,
    json: 'number',
    parse: (text, o) => parseFaultRate(text, o.fault),
    argvIf: (o) => o.fault !== null,
    suite: false,
    config: true,
  }),
  allowHost: option({
    flag: '--allow-host',
    value: '<hosts>',
    help: 'comma-separated non-loopback destinations to allow',
    field: 'allowHosts',
    default: [],
    json: { list: 'string' },
    parse: list,
    text: (hosts) => hosts.join(','),
    suite: false,
    config: true,
  }),
  connectPorts: option({
    flag: '--connect-ports',
    value: '<ports>',
    help: 'comma-separated ports CONNECT may reach (default 443)',
    field: 'connectPorts',
    default: [443],
    json: { list: 'number' },
    parse: (text) => {
      if (list(text).length === 0) throw new UsageError(`invalid --connect-ports "${text}" (expected a comma-separated list of ports)`);
      return list(text).map((p) => {
        const n = parseCount(p, '--connect-ports entry', 1);
        if (n > 65535) throw new UsageError(`invalid --connect-ports entry "${p}"`);
        return n;
      });
    },
    text: (ports) => ports.join(','),
    suite: true,
    config: true,
  }),
  // a password on the command line (ps, shell history): refused, saying how credentials are passed (credentials.ts)
  auth: refused({
    flag: '--auth',
    value: '<user:pass>',
    help: 'refused: use HANDOFF_PROXY_AUTH or --auth-file',
    hidden: true,
    field: null,
    parse: () => {
      throw new UsageError(
        `--auth would put the password on the command line (ps, shell history): set ${AUTH_ENV}=user:pass or use --auth-file <file> (mode 0600)`,
      );
    },
    suite: false,
    config: true,
  }),
  // the file is read by credentials.ts (loadCredentials), not by parseProxyFlags; the harness passes the credential
  // to its target by environment (target.ts sets HANDOFF_PROXY_AUTH), never on argv
  authFile: option({
    flag: '--auth-file',
    value: '<file>',
    help: 'require Basic proxy auth: user:pass from this file (mode 0600; or set HANDOFF_PROXY_AUTH)',
    field: 'auth',
    default: null,
    json: 'string',
    argv: 'never',
    suite: false,
    config: true,
  }),
  public: toggle({
    flag: '--public',
    value: null,
    help: 'allow a non-loopback --host (then credentials are required and loopback destinations need --allow-host)',
    field: 'public',
    default: false,
    parse: (given) => given === true || given === 'true',
    suite: false,
    config: true,
  }),
  // a deadline of 0 would fire at once (every request a 504): at least 1 ms
  upstreamTimeout: option({
    flag: '--upstream-timeout',
    value: '<dur>',
    help: 'origin response deadline (default 30s)',
    field: 'upstreamTimeoutMs',
    default: 30_000,
    json: 'number',
    parse: (text) => parseDuration(text, '--upstream-timeout', 1),
    text: ms,
    suite: true,
    config: true,
  }),
  headersTimeout: option({
    flag: '--headers-timeout',
    value: '<dur>',
    help: 'deadline for a client to send request headers (default 10s)',
    field: 'headersTimeoutMs',
    default: 10_000,
    json: 'number',
    parse: (text) => parseDuration(text, '--headers-timeout', 1),
    text: ms,
    suite: true,
    config: true,
  }),
  // 0 would mean "never" to node:http (idle connections held forever), not "at once": at least 1 ms
  keepAliveTimeout: option({
    flag: '--keep-alive-timeout',
    value: '<dur>',
    help: 'idle client keep-alive timeout (default 5s)',
    field: 'keepAliveTimeoutMs',
    default: 5_000,
    json: 'number',
    parse: (text) => parseDuration(text, '--keep-alive-timeout', 1),
    text: ms,
    suite: true,
    config: true,
  }),
  maxBody: option({
    flag: '--max-body',
    value: '<bytes>',
    help: 'largest request body accepted (413 above)',
    field: 'maxBodyBytes',
    default: null,
    json: 'number',
    parse: (text) => parseCount(text, '--max-body'),
    suite: true,
    config: true,
  }),
  maxHeaderSize: option({
    flag: '--max-header-size',
    value: '<bytes>',
    help: 'largest request header block (431 above)',
    field: 'maxHeaderSize',
    default: 16 * 1024,
    json: 'number',
    parse: (text) => parseCount(text, '--max-header-size', 1024),
    suite: true,
    config: true,
  }),
  shutdownGrace: option({
    flag: '--shutdown-grace',
    value: '<dur>',
    help: 'SIGTERM: time in-flight work may take (default 5s)',
    field: 'shutdownGraceMs',
    default: 5_000,
    json: 'number',
    parse: (text) => parseDuration(text, '--shutdown-grace'),
    text: ms,
    suite: true,
    config: true,
  }),
  childLinger: option({
    flag: '--child-linger',
    value: '<dur>',
    help: 'per-connection: kill a child this long after its connection ended',
    field: 'childLingerMs',
    default: 10_000,
    json: 'number',
    parse: (text) => parseDuration(text, '--child-linger'),
    text: ms,
    strategies: ['per-connection'],
    suite: true,
    config: true,
  }),
  // tinyproxy's default Timeout: long enough for any interactive tunnel, short of holding a child forever
  tunnelIdleTimeout: option({
    flag: '--tunnel-idle-timeout',
    value: '<dur>',
    help: 'close a CONNECT tunnel idle this long in both directions (default 10m)',
    field: 'tunnelIdleTimeoutMs',
    default: 600_000,
    json: 'number',
    parse: (text) => parseDuration(text, '--tunnel-idle-timeout', 1),
    text: ms,
    suite: true,
    config: true,
  }),
};

type Table = typeof PROXY_OPTION_TABLE;
/** A flag of the reference proxy, camelCase as commander names it (`maxConnectionsPerChild`). */
export type ProxyFlagKey = keyof Table;
/** Any row, for code that walks the table. */
export type ProxyOptionRow = ValueRow<keyof ProxyOptions> | SwitchRow<BooleanField> | RefusedRow;

/** Every flag of `handoff serve` that configures the reference proxy, in --help order (the table's). */
export const PROXY_FLAG_KEYS = Object.keys(PROXY_OPTION_TABLE) as readonly ProxyFlagKey[];

/** The row of a flag, as the walkers see it. */
export const proxyOptionRow = (key: ProxyFlagKey): ProxyOptionRow => PROXY_OPTION_TABLE[key];

/** The flags a suite's `target` (`'suite'`) or the config file's `target` (`'config'`) may set, in table order. */
export function proxyFlagKeysFor(where: 'suite' | 'config'): ProxyFlagKey[] {
  return PROXY_FLAG_KEYS.filter((key) => proxyOptionRow(key)[where]);
}

/** Each field at its default, from the rows that set one. */
export const DEFAULT_PROXY_OPTIONS: ProxyOptions = Object.fromEntries(
  PROXY_FLAG_KEYS.flatMap((key) => {
    const row = proxyOptionRow(key);
    return row.field === null ? [] : [[row.field, row.default]];
  }),
) as unknown as ProxyOptions;

// compile-time: the fields the table sets are exactly ProxyOptions' keys (a new field needs its row, and back)
type TableField = { [K in ProxyFlagKey]: Table[K]['field'] }[ProxyFlagKey];
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tableCoversProxyOptions: SameKeys<Exclude<TableField, null>, keyof ProxyOptions> = true;
void tableCoversProxyOptions;
