// The option table (src/proxy/option-table.ts) is the one declaration of a proxy option: for every row, the flag
// exists on `serve` and `stress` as the table spells it, what the harness writes on argv parses back (through
// commander) to the same options for every strategy, and a suite's or the config file's `target` takes the key
// exactly where the row says.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { cliPath } from '../../src/paths.js';
import { proxyFlags } from '../../src/cli/proxy-flags.js';
import { PROXY_FLAG_KEYS, PROXY_OPTION_TABLE, proxyOptionRow, type ProxyFlagKey } from '../../src/proxy/option-table.js';
import { DEFAULT_PROXY_OPTIONS, STRATEGIES, type ProxyOptions, type StrategyName } from '../../src/proxy/options.js';
import { parseProxyFlags, proxyOptionsToArgs, rejectInapplicableFlags, type RawProxyFlags } from '../../src/proxy/parse-options.js';
import { SUITE_PROXY_KEYS, parseSuiteTarget } from '../../src/harness/suite-target.js';
import { PROXY_KEYS, parseConfig } from '../../src/config/parse.js';

/** A value of each flag other than its default, with what it needs beside it. A new row needs one here. */
const SAMPLES: Record<ProxyFlagKey, { text: string; with?: RawProxyFlags }> = {
  strategy: { text: 'prefork' },
  port: { text: '8080' },
  host: { text: 'localhost' },
  handoff: { text: 'stdio' },
  spares: { text: '3' },
  maxChildren: { text: '9' },
  workers: { text: '5' },
  maxConnectionsPerChild: { text: '7' },
  fault: { text: 'zombie' },
  faultRate: { text: '0.25', with: { fault: 'fd-leak' } },
  allowHost: { text: 'a.example,b.example' },
  connectPorts: { text: '443,8443' },
  auth: { text: 'user:pass' },
  authFile: { text: '/nonexistent/credentials' },
  public: { text: 'true' },
  upstreamTimeout: { text: '1.5s' },
  headersTimeout: { text: '2s' },
  keepAliveTimeout: { text: '750ms' },
  maxBody: { text: '1000' },
  maxHeaderSize: { text: '2048' },
  shutdownGrace: { text: '0' },
  childLinger: { text: '3s' },
  tunnelIdleTimeout: { text: '1m' },
};

const serveCommand = (): Command => proxyFlags(new Command('serve').exitOverride());

/** argv as `handoff serve` would read it: commander's flags, with the table's declarations. */
function commanderFlags(argv: string[]): RawProxyFlags {
  const cmd = serveCommand();
  cmd.parse(argv, { from: 'user' });
  return cmd.opts() as RawProxyFlags;
}

const appliesTo = (key: ProxyFlagKey, strategy: StrategyName): boolean => {
  const { strategies } = proxyOptionRow(key);
  return strategies === undefined || strategies.includes(strategy);
};

// compile time: RawProxyFlags is derived from the rows (a value flag takes a string, a switch true as commander gives it)
const typed: RawProxyFlags = { public: true, port: '8080', connectPorts: '443' };
// @ts-expect-error a value flag is a string, as the CLI gives it
const untyped: RawProxyFlags = { port: 8080 };
// @ts-expect-error no row, no flag
const unknown: RawProxyFlags = { nonsense: '1' };
void [typed, untyped, unknown];

t.test('every row has a sample, and the table sets every ProxyOptions field once', async (t) => {
  t.same(Object.keys(SAMPLES), [...PROXY_FLAG_KEYS], 'a sample per row, in table order');
  const fields = PROXY_FLAG_KEYS.map((k) => proxyOptionRow(k).field).filter((f) => f !== null);
  t.same([...fields].sort(), Object.keys(DEFAULT_PROXY_OPTIONS).sort(), 'the defaults are the fields the rows set');
  t.equal(new Set(fields).size, fields.length, 'no field set by two rows');
  for (const key of PROXY_FLAG_KEYS) {
    t.equal(
      proxyOptionRow(key).flag,
      `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      `${key}: the flag is its key in kebab case (commander's name for it)`,
    );
  }
});

t.test('the commander declarations are the rows, in order, on serve and on stress', async (t) => {
  const serve = serveCommand();
  t.same(
    serve.options.map((o) => o.attributeName()),
    [...PROXY_FLAG_KEYS],
    'serve: one option per row, in table order',
  );
  for (const key of PROXY_FLAG_KEYS) {
    const row = PROXY_OPTION_TABLE[key];
    const option = serve.options.find((o) => o.attributeName() === key)!;
    t.equal(option.flags, row.value === null ? row.flag : `${row.flag} ${row.value}`, `${key}: flag and placeholder`);
    t.equal(option.description, row.help, `${key}: help`);
    t.equal(option.hidden, row.hidden === true, `${key}: ${row.hidden ? 'hidden' : 'shown'} in --help`);
    t.equal(option.isBoolean(), row.value === null, `${key}: ${row.value === null ? 'a switch' : 'takes a value'}`);
  }
});

t.test('the program itself: serve --help and stress --help list the rows, in order, hidden ones left out', async (t) => {
  const shown = PROXY_FLAG_KEYS.filter((k) => !proxyOptionRow(k).hidden).map((k) => {
    const row = PROXY_OPTION_TABLE[k];
    return row.value === null ? row.flag : `${row.flag} ${row.value}`;
  });
  for (const command of ['serve', 'stress']) {
    const r = spawnSync(process.execPath, [cliPath(), command, '--help'], { encoding: 'utf8', timeout: 20_000 });
    t.equal(r.status, 0, `${command} --help`);
    const listed = [...r.stdout.matchAll(/^ {2}(--[a-z-]+(?: <[^>]+>)?)/gm)].map((m) => m[1]);
    t.same(
      listed.filter((f) => shown.includes(f)),
      shown,
      `${command}: every shown row, in table order`,
    );
    t.notOk(r.stdout.includes('--auth <'), `${command}: --auth hidden`);
    if (command === 'serve')
      t.same(
        listed.filter((f) => f !== '-h, --help'),
        shown,
        'serve: nothing but the rows',
      );
  }
});

t.test("each row's argv form parses back through commander to the same options, for every strategy", async (t) => {
  for (const strategy of STRATEGIES) {
    for (const key of PROXY_FLAG_KEYS) {
      if (key === 'strategy' || key === 'auth') continue; // the strategy is the loop's; --auth is refused (below)
      const { text, with: beside = {} } = SAMPLES[key];
      const raw: RawProxyFlags = { ...beside, strategy, [key]: text };
      const options = parseProxyFlags(raw);
      const row = proxyOptionRow(key);
      if (row.field !== null && row.parse !== undefined)
        t.not(
          JSON.stringify(options[row.field]),
          JSON.stringify(DEFAULT_PROXY_OPTIONS[row.field]),
          `${key}: the sample is not the default`,
        );
      const argv = proxyOptionsToArgs(options);
      const back = commanderFlags(argv);
      t.doesNotThrow(() => rejectInapplicableFlags(strategy, back), `${strategy} ${key}: what the harness passes, serve accepts`);
      const expected: ProxyOptions = { ...options };
      // not applying to this strategy: never passed, so back at its default
      if (!appliesTo(key, strategy) && row.field !== null)
        (expected as unknown as Record<string, unknown>)[row.field] = DEFAULT_PROXY_OPTIONS[row.field];
      t.same(parseProxyFlags(back), expected, `${strategy} ${key}: ${argv.join(' ')}`);
      t.equal(
        argv.includes(row.flag),
        !('argv' in row && row.argv === 'never') && appliesTo(key, strategy),
        `${strategy} ${key}: ${row.flag} ${argv.includes(row.flag) ? 'on' : 'off'} argv`,
      );
    }
    // all the samples at once (the ones this strategy takes)
    const raw: RawProxyFlags = { strategy };
    for (const key of PROXY_FLAG_KEYS)
      if (key !== 'strategy' && key !== 'auth' && appliesTo(key, strategy))
        Object.assign(raw, SAMPLES[key].with, { [key]: SAMPLES[key].text });
    if (strategy === 'per-connection' || strategy === 'fork') raw.spares = '2';
    const options = parseProxyFlags(raw);
    t.same(parseProxyFlags(commanderFlags(proxyOptionsToArgs(options))), options, `${strategy}: every option at once`);
  }
  t.same(parseProxyFlags({}), DEFAULT_PROXY_OPTIONS, 'no flag: the defaults');
  t.same(parseProxyFlags(commanderFlags(proxyOptionsToArgs(DEFAULT_PROXY_OPTIONS))), DEFAULT_PROXY_OPTIONS, 'the defaults round-trip');
  t.throws(
    () => parseProxyFlags(commanderFlags(['--auth', SAMPLES.auth.text])),
    /--auth would put the password on the command line/,
    '--auth is taken only to be refused',
  );
  t.notOk(
    proxyOptionsToArgs({ ...DEFAULT_PROXY_OPTIONS, auth: 'user:pass' }).some((a) => a.includes('user:pass')),
    'credentials never go on argv',
  );
});

t.test("a suite's target and the config's target take a key exactly where the table says", async (t) => {
  t.same(
    SUITE_PROXY_KEYS,
    PROXY_FLAG_KEYS.filter((k) => proxyOptionRow(k).suite),
    'SUITE_PROXY_KEYS: the rows marked suite',
  );
  t.same(
    PROXY_KEYS,
    PROXY_FLAG_KEYS.filter((k) => proxyOptionRow(k).config),
    'PROXY_KEYS: the rows marked config',
  );
  for (const key of PROXY_FLAG_KEYS) {
    const row = proxyOptionRow(key);
    const { text, with: beside = {} } = SAMPLES[key];
    const suite = (): unknown => parseSuiteTarget('suite x', { [key]: text });
    if (row.suite) t.same(suite(), { proxy: { [key]: text } }, `suite: ${key} taken`);
    else t.throws(suite, new RegExp(`unknown target option "${key}"`), `suite: ${key} refused`);
    const config = (): unknown => parseConfig({ target: { ...beside, [key]: text } }, 'handoff.config.json', '/');
    if (!row.config) t.throws(config, key === 'port' ? /"port" and "shutdown" apply to "attach"/ : /unknown key/, `config: ${key} refused`);
    else if (key === 'auth')
      t.throws(config, /target: --auth would put the password on the command line/, 'config: auth is a known key, refused for its value');
    else
      t.match(
        (parseConfig({ target: { ...beside, [key]: text } }, 'handoff.config.json', '/') as { targetFlags: Record<string, unknown> })
          .targetFlags,
        { [key]: text },
        `config: ${key} taken`,
      );
  }
});
