#!/usr/bin/env node
// Builds native/ (the handoff_fork addon behind `--strategy fork`) with node-gyp, offline, against the headers
// of the Node that runs this script. Run by npm on install; never fails the install: when it cannot build
// (no compiler, no headers, not Linux) it says why, leaves native/build/UNAVAILABLE with the reason (which
// `--strategy fork` then prints), and exits 0 so the rest of handoff installs and works.
// HANDOFF_SKIP_NATIVE=1 skips the build; HANDOFF_REQUIRE_NATIVE=1 makes a failed build fail (CI that must test fork).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const nativeDir = join(root, 'native');
const buildDir = join(nativeDir, 'build');
const note = join(buildDir, 'UNAVAILABLE');
const required = process.env.HANDOFF_REQUIRE_NATIVE === '1';

function log(msg) {
  process.stderr.write(`handoff build-native: ${msg}\n`);
}

function unavailable(reason) {
  // a stale binary from an earlier build must not stand in for this one
  rmSync(join(buildDir, 'Release', 'handoff_fork.node'), { force: true });
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(note, `${reason}\n`);
  log(`--strategy fork and orphan adoption will be unavailable: ${reason}; once fixed, run \`npx handoff build-native\``);
  process.exit(required ? 1 : 0);
}

function onPath(cmd) {
  if (cmd.includes('/')) return existsSync(cmd);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

/** node-gyp: the one npm passes to lifecycle scripts, a local install, or the copy bundled with npm. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency of ours
  }
  const npmCli = process.env.npm_execpath;
  if (npmCli) candidates.push(join(dirname(dirname(npmCli)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const npm = join(dir, 'npm');
    if (!dir || !existsSync(npm)) continue;
    try {
      candidates.push(join(dirname(dirname(realpathSync(npm))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
    } catch {
      // dangling link
    }
  }
  candidates.push(join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** Headers of this Node on disk, so node-gyp never tries to download them (no network here, nor in CI). */
function findNodeDir() {
  const fromNpm = process.env.npm_config_nodedir;
  if (fromNpm && existsSync(join(fromNpm, 'include', 'node', 'node_api.h'))) return fromNpm;
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return null;
}

if (process.env.HANDOFF_SKIP_NATIVE === '1') unavailable('build skipped (HANDOFF_SKIP_NATIVE=1)');
if (process.platform !== 'linux') unavailable(`fork() per connection is implemented for Linux only (this is ${process.platform})`);
const cc = process.env.CC ?? 'cc';
if (!onPath(cc) && !onPath('gcc') && !onPath('clang')) unavailable('no C compiler (cc, gcc or clang) on PATH');
if (!onPath('make')) unavailable('make is not on PATH');
if (!onPath('python3') && !onPath('python')) unavailable('python3 (needed by node-gyp) is not on PATH');
const nodeGyp = findNodeGyp();
if (!nodeGyp) unavailable("node-gyp not found (neither npm's bundled copy nor a local one)");
const nodeDir = findNodeDir();
if (!nodeDir) unavailable(`Node headers (include/node/node_api.h) not found next to ${process.execPath}; set npm's nodedir`);

const args = [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--loglevel=warn'];
const started = Date.now();
const result = spawnSync(process.execPath, args, { cwd: nativeDir, encoding: 'utf8', env: process.env });
if (result.status !== 0) {
  const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (out) process.stderr.write(`${out.replace(/^/gm, '  | ')}\n`);
  const firstError =
    out
      .split('\n')
      .find((l) => /error/i.test(l))
      ?.trim() ?? `node-gyp exited with ${result.status ?? result.signal}`;
  unavailable(`the addon did not compile: ${firstError.slice(0, 200)}`);
}
rmSync(note, { force: true });
log(`built native/build/Release/handoff_fork.node in ${Date.now() - started} ms`);
