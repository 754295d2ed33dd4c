// V8 maps its heap MADV_DONTFORK (a plain fork() child would find holes where its heap was). Before every fork
// the addon advises MADV_DOFORK over every mapping: normally in two madvise() calls around the kernel's special
// mappings, else by scanning /proc/self/maps. Each path runs in a fresh Node process, whose own V8 heap is the
// fixture: mappings flagged `dc` ("do not copy") in smaps must be gone once the advice ran.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { ADDON_PATH } from '../../src/native/addon.js';
import { untappedNode } from '../helpers/untapped.js';
import { forkUnavailableReason } from './addon-available.js';

const PROBE = `
const { readFileSync } = require('node:fs');
const addon = require(${JSON.stringify(ADDON_PATH)});
const dontCopy = () => {
  const out = [];
  let header = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) header = line;
    else if (line.startsWith('VmFlags:') && line.split(/\\s+/).includes('dc')) out.push(header);
  }
  return out;
};
const before = dontCopy();
const path = addon.adviseDoFork(process.argv[1] === 'scan');
// reading smaps again allocates, and V8 marks the heap pages it maps for that do-not-copy too: only the
// mappings that existed when the advice ran are the subject
const after = new Set(dontCopy());
process.stdout.write(JSON.stringify({ before: before.length, path, left: before.filter((m) => after.has(m)) }));
`;

interface Probe {
  /** do-not-copy mappings before the advice */
  before: number;
  path: number;
  /** of those, the ones still do-not-copy after it */
  left: string[];
}

function probe(scan: boolean): Probe {
  const [command, args] = untappedNode(['--single-threaded', '-e', PROBE, scan ? 'scan' : 'usual']);
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`probe failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

const unavailable = forkUnavailableReason();
if (unavailable) {
  t.plan(0, unavailable);
} else {
  for (const scan of [false, true]) {
    t.test(
      `MADV_DOFORK reaches every mapping, ${scan ? 'by the /proc/self/maps scan (the fallback)' : 'in two calls (the usual path)'}`,
      async (t) => {
        const r = probe(scan);
        t.ok(r.before > 0, `V8 had marked ${r.before} mappings do-not-copy (the fixture is real)`);
        t.same(r.left, [], 'none of them is do-not-copy any more');
        t.equal(r.path, scan ? 2 : 1, 'the path taken');
      },
    );
  }
}
