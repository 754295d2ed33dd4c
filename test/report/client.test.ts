// The pages' browser code (src/report/client/, src/compare/client/) is real TypeScript: it must type-check
// strict against the DOM (tsconfig.client.json) and stay out of the Node program (tsconfig.json), and what a
// rendered page inlines is exactly the bundle the build wrote to dist/client/, built from today's sources.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { renderCompareHtml } from '../../src/compare/html.js';
import { clientBundle, clientBundlePath, inlineSafe, type ClientPage } from '../../src/report/html-shared.js';
import { renderHtml } from '../../src/report/html.js';
import { packageRoot } from '../../src/paths.js';
import { sampleComparison } from '../compare/fixtures.js';
import { fixture } from './fixtures.js';

const tsc = join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const run = (args: string[]) =>
  spawnSync(process.execPath, args, { cwd: packageRoot, encoding: 'utf8', timeout: 180_000, killSignal: 'SIGKILL' });
const CLIENT_DIRS = ['src/report/client/', 'src/compare/client/'];
const isClient = (file: string): boolean => CLIENT_DIRS.some((d) => file.startsWith(d));
/** The files a tsconfig's program holds, relative to the package root (what tsc reads, nothing checked). */
const programFiles = (project: string): string[] => {
  const r = run([tsc, '-p', project, '--listFilesOnly']);
  if (r.status !== 0) throw new Error(`tsc -p ${project} --listFilesOnly: ${r.stdout}${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => relative(packageRoot, f));
};

t.test('the client modules type-check strict with the DOM: tsc -p tsconfig.client.json --noEmit', async (t) => {
  const r = run([tsc, '-p', 'tsconfig.client.json', '--noEmit']);
  t.equal(r.status, 0, `tsc exits 0\n${r.stdout}${r.stderr}`);
  const files = programFiles('tsconfig.client.json');
  for (const entry of ['src/report/client/report.ts', 'src/report/client/shared.ts', 'src/compare/client/compare.ts'])
    t.ok(files.includes(entry), `checks ${entry}`);
  t.ok(files.includes('node_modules/uplot/dist/uPlot.d.ts'), "against uPlot's declarations");
  t.same(
    files.filter((f) => f.includes('@types/node')),
    [],
    "without Node's types",
  );
});

t.test("the Node program (tsconfig.json) leaves the client modules out: they are the browser's, not Node's", async (t) => {
  const files = programFiles('tsconfig.json');
  t.ok(files.includes('src/report/html.ts'), 'the renderers are in it');
  t.same(files.filter(isClient), [], 'no client module is');
});

const lastScript = (html: string): string => html.slice(html.lastIndexOf('<script>') + '<script>'.length, html.lastIndexOf('</script>'));
const built = (page: ClientPage): string => readFileSync(clientBundlePath(page), 'utf8');

t.test('a rendered page inlines the bundle the build wrote, whole, as its last script', async (t) => {
  const pages: [ClientPage, string][] = [
    ['report', renderHtml(fixture('fail'))],
    ['compare', renderCompareHtml(sampleComparison())],
  ];
  for (const [page, html] of pages) {
    const bundle = built(page);
    t.equal(clientBundle(page), bundle, `clientBundle('${page}') is dist/client/${page}.js`);
    t.equal(lastScript(html), inlineSafe(bundle, 'script'), `the ${page} page inlines dist/client/${page}.js`);
    t.match(bundle, /^"use strict";\n\(\(\) => \{\n[\s\S]*\}\)\(\);\n$/, 'one strict IIFE');
    t.notMatch(bundle, /^\s*(import|export)\b|\brequire\(/m, 'no module syntax left');
    t.notMatch(bundle, /<\/script/i, 'nothing to escape: the inlined text is the bundle as built');
  }
});

t.test('dist/client/ is built from the sources as they are now (else: npm run build)', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'handoff-client-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = run([join(packageRoot, 'scripts', 'build-client.mjs'), '--outdir', out]);
  t.equal(r.status, 0, `scripts/build-client.mjs ${r.stderr}`);
  t.same(readdirSync(out).sort(), ['compare.js', 'report.js'], 'one bundle per page');
  for (const page of ['report', 'compare'] as const) {
    t.ok(
      readFileSync(join(out, `${page}.js`), 'utf8') === built(page),
      `dist/client/${page}.js is current (if not, run \`npm run build\`)`,
    );
  }
});

t.test('a missing bundle is an error naming npm run build', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'handoff-unbuilt-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  t.throws(() => clientBundle('report', root), { message: /dist\/client\/report\.js is missing .*run `npm run build` first/ });
  t.throws(() => clientBundle('compare', root), { message: /dist\/client\/compare\.js is missing/ });
});
