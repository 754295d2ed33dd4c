import t from 'tap';
import { environHas, parseEnviron } from '../../src/harness/probes/parse-environ.js';
import { fixture } from './fixtures.js';

t.test('captured environ', async (t) => {
  const text = fixture('node-environ.txt');
  const env = parseEnviron(text);
  t.same([...env.keys()], ['PATH', 'HANDOFF_RUN', 'LANG']);
  t.equal(env.get('HANDOFF_RUN'), 'fixture-123');
  t.ok(environHas(text, 'HANDOFF_RUN', 'fixture-123'));
  t.ok(environHas(text, 'PATH', '/usr/bin:/bin'), 'first entry');
  t.ok(environHas(text, 'LANG', 'C.UTF-8'), 'last entry');
});

t.test('exact name=value only', async (t) => {
  const text = 'A=1\0HANDOFF_RUN=abc-longer\0XHANDOFF_RUN=abc\0HANDOFF_RUN=ab\0';
  t.notOk(environHas(text, 'HANDOFF_RUN', 'abc'), 'prefix of a longer value, suffix of a longer name, shorter value');
  t.ok(environHas(`${text}HANDOFF_RUN=abc`, 'HANDOFF_RUN', 'abc'), 'last entry without its NUL');
  t.ok(environHas('HANDOFF_RUN=abc', 'HANDOFF_RUN', 'abc'), 'sole entry');
  t.notOk(environHas('', 'HANDOFF_RUN', 'abc'));
});

t.test('values with "=" and entries without one', async (t) => {
  const env = parseEnviron('OPTS=a=b=c\0BARE\0\0');
  t.equal(env.get('OPTS'), 'a=b=c');
  t.equal(env.get('BARE'), '');
  t.equal(env.size, 2);
});
