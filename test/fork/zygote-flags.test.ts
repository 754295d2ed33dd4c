// The flags a fork zygote re-executes itself with: --single-threaded for soundness, the rest for speed, never
// overriding a flag the user gave either way round.
import t from 'tap';
import {
  LARGE_PAGES_FLAG,
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
  t.same(speedFlags([]), [LARGE_PAGES_FLAG, '--no-lazy', '--no-flush-bytecode', YOUNG]);
  t.same(speedFlags(['--max-old-space-size=64']), [LARGE_PAGES_FLAG, '--no-lazy', '--no-flush-bytecode', YOUNG]);
});

t.test('speedFlags: a flag the user set, in either sense or spelling, is left to the user', async (t) => {
  t.same(speedFlags(['--use-largepages=off']), ['--no-lazy', '--no-flush-bytecode', YOUNG]);
  t.same(speedFlags(['--lazy']), [LARGE_PAGES_FLAG, '--no-flush-bytecode', YOUNG]);
  t.same(speedFlags(['--flush_bytecode']), [LARGE_PAGES_FLAG, '--no-lazy', YOUNG]);
  t.same(speedFlags(['--max_semi_space_size=8']), [LARGE_PAGES_FLAG, '--no-lazy', '--no-flush-bytecode']);
  t.same(speedFlags(['--no-lazy', '--no-flush-bytecode', '--use-largepages=on', '--max-semi-space-size=4']), []);
});
