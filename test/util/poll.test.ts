// pollUntil, on a fake clock: the goleak order (check, deadline, wait), the backoff and its cap, a check that
// gives up on its own terms, waitFirst, and a cap on each wait.
import t from 'tap';
import { pollUntil } from '../../src/util/poll.js';

/** A fake clock whose wait advances it and records each wait. */
function fakeTime(): { clock: () => number; wait: (ms: number) => Promise<void>; waits: number[] } {
  let now = 0;
  const waits: number[] = [];
  return {
    clock: () => now,
    wait: async (ms) => {
      waits.push(ms);
      now += ms;
    },
    waits,
  };
}

t.test('checks first, returns at once when the condition holds', async (t) => {
  const time = fakeTime();
  const r = await pollUntil(() => ({ done: true, value: 'x' }), { initialMs: 50, maxMs: 300, ...time });
  t.same(r, { held: true, value: 'x' });
  t.same(time.waits, []);
});

t.test('waits grow by the factor up to the cap; stops without the condition at the deadline', async (t) => {
  const time = fakeTime();
  let checks = 0;
  const r = await pollUntil(() => ({ done: false, value: ++checks }), { initialMs: 50, maxMs: 100, deadline: 400, ...time });
  t.same(time.waits, [50, 75, 100, 100, 100], 'factor 1.5 by default, capped at maxMs');
  t.equal(time.clock(), 425);
  t.same(r, { held: false, value: 6 }, 'the deadline is checked after each check');
});

t.test('a check can give up on its own terms; without a deadline only the check stops the loop', async (t) => {
  const time = fakeTime();
  const r = await pollUntil(() => ({ done: false, giveUp: time.clock() >= 100, value: time.clock() }), {
    initialMs: 25,
    maxMs: 200,
    factor: 2,
    ...time,
  });
  t.same(time.waits, [25, 50, 100]);
  t.same(r, { held: false, value: 175 });
});

t.test('waitFirst: the first wait comes before the first check; a deadline already past checks nothing', async (t) => {
  const time = fakeTime();
  const seen: number[] = [];
  const r = await pollUntil(
    () => {
      seen.push(time.clock());
      return { done: seen.length === 2, value: seen.length };
    },
    {
      initialMs: 50,
      maxMs: 300,
      waitFirst: true,
      ...time,
    },
  );
  t.same(seen, [50, 125]);
  t.same(r, { held: true, value: 2 });
  const late = fakeTime();
  const none = await pollUntil(() => ({ done: true, value: 1 }), { initialMs: 50, maxMs: 300, waitFirst: true, deadline: 0, ...late });
  t.same(none, { held: false, value: undefined });
  t.same(late.waits, []);
});

t.test('cap shapes each wait (e.g. not past a deadline); async checks are awaited', async (t) => {
  const time = fakeTime();
  const r = await pollUntil(async () => ({ done: time.clock() >= 120, value: time.clock() }), {
    initialMs: 50,
    maxMs: 500,
    cap: (ms) => Math.min(ms, Math.max(10, 120 - time.clock())),
    ...time,
  });
  t.same(time.waits, [50, 70]);
  t.same(r, { held: true, value: 120 });
});

t.test('defaults: a real timer and Date.now', async (t) => {
  const started = Date.now();
  const r = await pollUntil(() => ({ done: Date.now() - started >= 20, value: null }), { initialMs: 10, maxMs: 10 });
  t.ok(r.held);
});
