// The pipelining bound of one connection, as a pure fold: at most the bound forwarded, reading paused beyond it
// and resumed once nothing waits, and on close every unsettled request cancelled (if started) and settled once.
import t from 'tap';
import { createConnectionPipeline, PIPELINE_BOUND } from '../../src/proxy/pipeline.js';

function harness(bound = 2) {
  const log: string[] = [];
  const reading = { pause: () => log.push('pause'), resume: () => log.push('resume') };
  const p = createConnectionPipeline(reading, bound, (fn) => fn());
  const admit = (id: string) =>
    p.admit({ start: () => log.push(`start ${id}`), cancel: () => log.push(`cancel ${id}`), settle: () => log.push(`settle ${id}`) });
  return { p, log, admit };
}

t.test('the bound is 8', async (t) => {
  t.equal(PIPELINE_BOUND, 8);
});

t.test('beyond the bound requests wait, reading pauses; each answer starts the next in order', async (t) => {
  const { p, log, admit } = harness(2);
  const done = ['a', 'b', 'c', 'd'].map(admit);
  t.same(log, ['start a', 'start b', 'pause']);
  t.equal(p.forwarded, 2);
  t.equal(p.pending, 4);
  done[0]();
  done[0](); // a response closes once, but a second call must change nothing
  t.same(log.slice(3), ['settle a', 'start c']);
  done[1]();
  t.same(log.slice(5), ['settle b', 'start d', 'resume'], 'reading resumes once nothing waits');
  done[2]();
  done[3]();
  t.equal(p.pending, 0);
  t.equal(p.forwarded, 0);
});

t.test('closing cancels the started, settles all exactly once, starts none', async (t) => {
  const { p, log, admit } = harness(2);
  const done = ['a', 'b', 'c'].map(admit);
  log.length = 0;
  p.closeAll();
  t.same(log, ['cancel a', 'settle a', 'cancel b', 'settle b', 'settle c']);
  log.length = 0;
  for (const d of done) d();
  p.closeAll();
  t.same(log, [], 'responses closing afterwards settle nothing twice, and nothing starts');
  admit('late');
  t.same(log, ['settle late'], 'a request parsed after the close is settled, never forwarded');
});
