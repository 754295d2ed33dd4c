// V8 maps its heap MADV_DONTFORK (a plain fork() child would find holes where its heap was). Before every fork
// the addon advises MADV_DOFORK over every mapping, normally in two madvise() calls around the kernel's special
// mappings. This process's own V8 heap is the fixture: mappings flagged `dc` ("do not copy") in smaps must be
// gone once the advice ran.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadForkAddon } from '../../src/proxy/fork/addon.js';
import { forkUnavailableReason } from './addon-available.js';

/** mappings whose VmFlags include `dc` (VM_DONTCOPY: left out of a fork child) */
function dontCopyMappings(): string[] {
  const out: string[] = [];
  let header = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) header = line;
    else if (line.startsWith('VmFlags:') && line.split(/\s+/).includes('dc')) out.push(header);
  }
  return out;
}

const unavailable = forkUnavailableReason();
if (unavailable) {
  t.plan(0, unavailable);
} else {
  const load = loadForkAddon();
  if (!load.ok) throw new Error(load.reason);
  const addon = load.addon;

  t.test('MADV_DOFORK reaches every mapping, in two calls', async (t) => {
    t.ok(dontCopyMappings().length > 0, 'V8 has marked some of its mappings do-not-copy (the fixture is real)');
    // V8's own threads may map more heap meanwhile: the advice must clear what exists when it runs
    let left: string[] = [];
    let path = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      path = addon.adviseDoFork();
      left = dontCopyMappings();
      if (left.length === 0) break;
    }
    t.same(left, [], 'no do-not-copy mapping is left');
    t.equal(path, 1, 'the two-call path was taken (2 would mean the /proc/self/maps scan)');
  });
}
