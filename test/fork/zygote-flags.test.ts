// The flags a fork zygote re-executes itself with: --single-threaded for soundness, the rest for speed, never
// overriding a flag the user gave either way round.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import {
  LARGE_PAGES_FLAG,
  NO_BUILTINS_COPY_FLAG as BUILTINS,
  NO_MEMORY_REDUCER_FLAG as REDUCER,
  SMALL_YOUNG_GENERATION_FLAG as YOUNG,
  singleThreadedInEffect,
  speedFlags,
} from '../../src/proxy/fork/zygote-guard.js';

t.test('singleThreadedInEffect accepts both spellings only', async (t) => {
  t.ok(singleThreadedInEffect(['--single-threaded']));
  t.ok(singleThreadedInEffect(['--max-old-space-size=64', '--single_threaded']));
  t.notOk(singleThreadedInEffect([]));
  t.notOk(singleThreadedInEffect(['--single-threaded-gc']), 'another flag with the same prefix');
});

t.test('speedFlags: all of them by default', async (t) => {
  t.same(speedFlags([]), [LARGE_PAGES_FLAG, '--no-lazy', '--no-flush-bytecode', YOUNG, BUILTINS, REDUCER]);
  t.same(speedFlags(['--max-old-space-size=64']), [LARGE_PAGES_FLAG, '--no-lazy', '--no-flush-bytecode', YOUNG, BUILTINS, REDUCER]);
});

t.test('speedFlags: a flag the user set, in either sense or spelling, is left to the user', async (t) => {
  t.same(speedFlags(['--use-largepages=off']), ['--no-lazy', '--no-flush-bytecode', YOUNG, BUILTINS, REDUCER]);
  t.same(speedFlags(['--lazy']), [LARGE_PAGES_FLAG, '--no-flush-bytecode', YOUNG, BUILTINS, REDUCER]);
  t.same(speedFlags(['--flush_bytecode']), [LARGE_PAGES_FLAG, '--no-lazy', YOUNG, BUILTINS, REDUCER]);
  t.same(speedFlags(['--max_semi_space_size=8']), [LARGE_PAGES_FLAG, '--no-lazy', '--no-flush-bytecode', BUILTINS, REDUCER]);
  t.same(speedFlags(['--short-builtin-calls']), [LARGE_PAGES_FLAG, '--no-lazy', '--no-flush-bytecode', YOUNG, REDUCER]);
  t.same(speedFlags(['--memory_reducer']), [LARGE_PAGES_FLAG, '--no-lazy', '--no-flush-bytecode', YOUNG, BUILTINS]);
  t.same(
    speedFlags([
      '--no-lazy',
      '--no-flush-bytecode',
      '--use-largepages=on',
      '--max-semi-space-size=4',
      '--short_builtin_calls',
      '--memory-reducer',
    ]),
    [],
  );
});

/** KiB of anonymous, read-only executable memory on 4 KiB pages in a fresh `node` run with these flags. */
function anonExecutable4k(flags: string[]): number {
  const script = `
    const text = require('node:fs').readFileSync('/proc/self/smaps', 'utf8');
    let kib = 0, counting = false;
    for (const line of text.split('\\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ (\\S+) \\S+ \\S+ (\\d+)\\s*(.*)$/.exec(line);
      if (head) { counting = head[1] === 'r-xp' && head[2] === '0' && head[3] === ''; continue; }
      const field = /^(Anonymous|AnonHugePages):\\s+(\\d+) kB/.exec(line);
      if (counting && field) kib += field[1] === 'Anonymous' ? Number(field[2]) : -Number(field[2]);
    }
    process.stdout.write(String(kib));`;
  const r = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' });
  return Number(r.stdout);
}

t.test(`${BUILTINS}: no copy of V8's builtins on 4 KiB pages for every fork to copy`, async (t) => {
  // with large pages the text V8 copies from is anonymous memory, and so is the copy
  const copied = anonExecutable4k(['--single-threaded', LARGE_PAGES_FLAG]);
  if (copied < 512) {
    // no transparent huge pages (the text stays a file mapping, and so does V8's copy): nothing to show
    t.pass('no anonymous copy to avoid here', { skip: `${copied} KiB of anonymous executable 4 KiB pages without the flag` });
    return;
  }
  t.ok(copied >= 1024, `V8 copies its builtins by default (${copied} KiB)`);
  const kept = anonExecutable4k(['--single-threaded', LARGE_PAGES_FLAG, BUILTINS]);
  t.ok(kept < 256, `with ${BUILTINS}: ${kept} KiB of anonymous executable 4 KiB pages (was ${copied})`);
});
