// Progress redraws only on a terminal that can move its cursor: TERM=dumb and a pipe get plain lines, no
// carriage returns or escape sequences.
import t from 'tap';
import { canRedraw, createProgress } from '../../src/cli/progress.js';

t.test('canRedraw: a TTY unless TERM=dumb; never a pipe', async (t) => {
  t.equal(canRedraw({ isTTY: true }, { TERM: 'xterm-256color' }), true);
  t.equal(canRedraw({ isTTY: true }, {}), true);
  t.equal(canRedraw({ isTTY: true }, { TERM: 'dumb' }), false);
  t.equal(canRedraw({ isTTY: false }, { TERM: 'xterm' }), false);
  t.equal(canRedraw({}, { TERM: 'xterm' }), false);
});

t.test('without redraws the output has no cursor control at all', async (t) => {
  let out = '';
  let now = 0;
  const p = createProgress({ write: (s) => (out += s), tty: canRedraw({ isTTY: true }, { TERM: 'dumb' }), now: () => now, intervalMs: 5 });
  p.watch({ load: () => ({ requests: now, errors: 0 }), sample: () => null });
  p.phase('load', 1000);
  now = 500;
  await new Promise((r) => setTimeout(r, 30));
  p.log('a line');
  p.phase('drain', 1000);
  p.stop();
  t.match(out, /handoff: load …\n/);
  t.match(out, /handoff: a line\n/);
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  t.notMatch(out, /[\r\x1b]/, 'no CR, no ESC');
});
