// Strategy-specific flags: refused where they would be ignored, and never passed by the harness to a strategy
// that does not use them (a suite's generic cap must not turn into a usage error for inline).
import t from 'tap';
import { parseProxyFlags, proxyOptionsToArgs, rejectInapplicableFlags } from '../../src/proxy/parse-options.js';
import { STRATEGIES } from '../../src/proxy/options.js';

t.test('each strategy accepts its own flags and refuses the others', async (t) => {
  const uses: Record<string, string[]> = {
    inline: [],
    'per-connection': ['handoff', 'spares', 'maxChildren', 'childLinger'],
    prefork: ['workers', 'maxConnectionsPerChild'],
    cluster: ['workers'],
    fork: ['spares', 'maxChildren'],
  };
  t.same(Object.keys(uses).sort(), [...STRATEGIES].sort(), 'every strategy covered');
  const all = ['handoff', 'spares', 'maxChildren', 'workers', 'maxConnectionsPerChild', 'childLinger'] as const;
  for (const strategy of STRATEGIES) {
    for (const key of all) {
      const check = (): void => rejectInapplicableFlags(strategy, { [key]: '1' });
      if (uses[strategy]!.includes(key)) t.doesNotThrow(check, `${strategy} takes ${key}`);
      else t.throws(check, /does not apply to --strategy/, `${strategy} refuses ${key}`);
    }
    t.doesNotThrow(
      () => rejectInapplicableFlags(strategy, { upstreamTimeout: '1s', maxBody: '10', fault: 'zombie' }),
      `${strategy}: general flags apply to all`,
    );
  }
});

t.test('the harness passes a generic cap only to strategies that use it', async (t) => {
  const argsFor = (strategy: string): string[] =>
    proxyOptionsToArgs(parseProxyFlags({ strategy, maxChildren: '8', workers: '3', childLinger: '2s' }));
  t.notOk(argsFor('inline').includes('--max-children'), 'inline: no --max-children');
  t.notOk(argsFor('inline').includes('--workers'), 'inline: no --workers');
  t.match(argsFor('fork').join(' '), /--max-children 8/, 'fork: --max-children');
  t.notOk(argsFor('fork').includes('--child-linger'), 'fork: no --child-linger');
  t.match(argsFor('prefork').join(' '), /--workers 3/, 'prefork: --workers');
  t.match(argsFor('per-connection').join(' '), /--max-children 8 .*--child-linger 2000ms/, 'per-connection: both');
  for (const strategy of STRATEGIES) {
    const args = argsFor(strategy);
    const back: Record<string, string> = {};
    for (let i = 0; i < args.length; i += 2) back[args[i]!.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = args[i + 1]!;
    t.doesNotThrow(() => rejectInapplicableFlags(strategy, back), `${strategy}: what the harness passes is accepted by serve`);
  }
});
