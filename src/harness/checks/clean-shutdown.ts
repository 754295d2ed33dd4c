import type { Evidence } from '../../report/schema.js';
import type { Check } from './check.js';
import { capped, processEvidence, plural, withMore } from './evidence.js';

export const cleanShutdown: Check = {
  id: 'clean-shutdown',
  passesWhen: 'SIGTERM → the target exits within the deadline, with code 0 or by that SIGTERM (0 with --strict-exit), leaving nothing behind',
  evaluate(run) {
    const s = run.shutdown;
    const problems: string[] = [];
    const evidence: Evidence[] = [];
    const how = (e: NonNullable<typeof s.exit>): string => (e.signal ? `by ${e.signal}` : `with code ${e.code}`);
    if (s.diedEarly) {
      problems.push(`the target died before shutdown (${s.exit ? how(s.exit) : 'unknown exit'})`);
    } else if (!s.exit) {
      problems.push(`no exit within ${s.deadlineMs} ms of SIGTERM${s.escalated ? ' (SIGKILLed)' : ''}`);
    } else {
      const ok = s.exit.code === 0 || (!run.target.strictExit && s.exit.signal === 'SIGTERM');
      if (!ok) problems.push(`${how(s.exit)} after SIGTERM${run.target.strictExit ? ' (--strict-exit demands 0)' : ''}`);
    }
    if (s.leftovers.length > 0) {
      problems.push(`${plural(s.leftovers.length, 'process', 'processes')} left behind`);
      const { rows, more } = capped(s.leftovers);
      evidence.push(...withMore(rows.map((p) => processEvidence(p, run.firstSeen, 'still alive after the target exited')), more, 'processes'));
    }
    if (problems.length === 0) {
      return { id: 'clean-shutdown', pass: true, summary: `exited ${how(s.exit!)} ${Math.round(s.exit!.afterMs)} ms after SIGTERM, nothing left`, evidence: [] };
    }
    if (s.exit) evidence.unshift({ kind: 'note', text: `root pid ${run.target.rootPid}: ${how(s.exit)}, ${Math.round(s.exit.afterMs)} ms after SIGTERM` });
    return { id: 'clean-shutdown', pass: false, summary: problems.join('; '), evidence };
  },
};
