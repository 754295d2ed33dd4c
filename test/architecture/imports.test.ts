// The layers of docs/architecture.md, kept true: the import graph of src/ (static imports, re-exports and dynamic
// import() of a literal path) must not have the edges the architecture says never. A new such import fails here
// with the file and the line that made it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../src/paths.js';

const SRC = join(packageRoot, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

/** file (relative to src/) → the src/ files it imports, with the line of each import */
function importGraph(): Map<string, { to: string; line: number }[]> {
  const graph = new Map<string, { to: string; line: number }[]>();
  for (const file of sources(SRC)) {
    const edges: { to: string; line: number }[] = [];
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)'(\.[^']+)'/g)) {
          edges.push({ to: relative(SRC, resolve(dirname(file), m[1].replace(/\.js$/, '.ts'))), line: i + 1 });
        }
      });
    graph.set(relative(SRC, file), edges);
  }
  return graph;
}

const graph = importGraph();
const under = (file: string, ...dirs: string[]): boolean => dirs.some((d) => file === d || file.startsWith(`${d}/`));

/** Every edge from a file under `from` to a file under one of `never`, as "a.ts:12 → b.ts". */
function violations(from: string, never: string[]): string[] {
  const out: string[] = [];
  for (const [file, edges] of graph) {
    if (!under(file, from)) continue;
    for (const e of edges) if (under(e.to, ...never) && !under(e.to, from)) out.push(`${file}:${e.line} → ${e.to}`);
  }
  return out;
}

/** The files `entry` loads, transitively. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const e of graph.get(f) ?? []) visit(e.to);
  };
  visit(entry);
  return seen;
}

t.test('the graph was read: every import resolves to a file of src/', async (t) => {
  t.ok(graph.size > 100, `${graph.size} files`);
  const dangling = [...graph].flatMap(([f, edges]) =>
    edges.filter((e) => !e.to.startsWith('..') && !graph.has(e.to)).map((e) => `${f}:${e.line} → ${e.to}`),
  );
  t.same(dangling, [], 'no import of a file that does not exist');
});

t.test('never: proxy → harness, report, cli, compare, gate, config, api', async (t) => {
  t.same(violations('proxy', ['harness', 'report', 'cli', 'compare', 'gate', 'config', 'api']), []);
});

t.test("never: a child's start loads more than the proxy, util, the native loader and paths", async (t) => {
  for (const entry of ['proxy/child.ts', 'proxy/fork/child.ts']) {
    t.ok(graph.has(entry), `${entry} exists`);
    const beyond = [...closure(entry)].filter((f) => !under(f, 'proxy', 'util', 'native') && f !== 'paths.ts');
    t.same(beyond, [], `${entry} loads only what a child needs`);
  }
});

t.test('never: probes → load or report; report → proxy or load; model and util → anything above them', async (t) => {
  t.same(violations('harness/probes', ['harness/load', 'report']), []);
  t.same(violations('report', ['proxy', 'harness/load']), []);
  t.same(violations('model', ['harness', 'proxy', 'report', 'cli', 'compare', 'gate', 'config', 'api', 'util', 'native']), []);
  t.same(violations('util', ['harness', 'proxy', 'report', 'cli', 'compare', 'gate', 'config', 'api', 'model', 'native']), []);
});

t.test('the rule can fail: an edge the rules forbid is found (the checker is not blind)', async (t) => {
  // the harness imports the proxy's option parser: allowed, but it is exactly the kind of edge `violations` reports
  t.ok(violations('harness', ['proxy']).length > 0, 'harness → proxy edges are seen');
});
