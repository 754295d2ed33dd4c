import type { Evidence } from '../../model/report.js';
import type { Check } from './check.js';
import { capped, processEvidence, plural, withMore } from './evidence.js';

/** 128 + SIGTERM: how socat, JVMs and shells report an exit on SIGTERM (the convention, not a failure) */
const SIGTERM_EXIT_CODE = 143;

export const cleanShutdown: Check = {
  id: 'clean-shutdown',
  passesWhen:
    'SIGTERM → the target exits within the deadline, with code 0, by that SIGTERM or with 143 (0 with --strict-exit), leaving nothing behind',
  evaluate(run) {
    const s = run.shutdown;
    const problems: string[] = [];
    const evidence: Evidence[] = [];
    // an attached server is not our child: that it exited is seen, its status is its own parent's to read
    const statusUnknown = (e: NonNullable<typeof s.exit>): boolean => run.target.attached === true && e.code === null && e.signal === null;
    const how = (e: NonNullable<typeof s.exit>): string =>
      statusUnknown(e) ? 'with a status only its own parent can read (--attach)' : e.signal ? `by ${e.signal}` : `with code ${e.code}`;
    if (s.skipped) {
      return {
        id: 'clean-shutdown',
        pass: true,
        summary: 'not judged: --attach without --shutdown leaves the server running (no SIGTERM sent)',
        evidence: [],
      };
    }
    if (s.diedEarly) {
      problems.push(`the target died before shutdown (${s.exit ? how(s.exit) : 'unknown exit'})`);
    } else if (!s.exit) {
      problems.push(`no exit within ${s.deadlineMs} ms of SIGTERM${s.escalated ? ' (SIGKILLed)' : ''}`);
    } else {
      const ok =
        s.exit.code === 0 ||
        statusUnknown(s.exit) ||
        (!run.target.strictExit && (s.exit.signal === 'SIGTERM' || s.exit.code === SIGTERM_EXIT_CODE));
      if (!ok) problems.push(`${how(s.exit)} after SIGTERM${run.target.strictExit ? ' (--strict-exit demands 0)' : ''}`);
    }
    // the root itself, when it never exited, is the problem named above, not something it "left behind"
    const rootStayed = !s.exit && !s.diedEarly;
    const root = rootStayed ? s.leftovers.find((p) => p.pid === run.target.rootPid) : undefined;
    const leftovers = root ? s.leftovers.filter((p) => p !== root) : s.leftovers;
    if (root) {
      evidence.push(
        processEvidence(
          root,
          run.firstSeen,
          `the target's root ignored SIGTERM: still running ${s.deadlineMs} ms later${s.escalated ? ', then SIGKILLed' : ''}`,
        ),
      );
    }
    if (leftovers.length > 0) {
      problems.push(`${plural(leftovers.length, 'process', 'processes')} left behind`);
      const note = rootStayed
        ? `still alive at the deadline${s.escalated ? ' (SIGKILLed with the group)' : ''}`
        : 'still alive after the target exited';
      const { rows, more } = capped(leftovers);
      evidence.push(
        ...withMore(
          rows.map((p) => processEvidence(p, run.firstSeen, note)),
          more,
          'processes',
        ),
      );
    }
    if (problems.length === 0) {
      return {
        id: 'clean-shutdown',
        pass: true,
        summary: `exited ${how(s.exit!)} ${Math.round(s.exit!.afterMs)} ms after SIGTERM, nothing left`,
        evidence: [],
      };
    }
    if (s.exit)
      evidence.unshift({
        kind: 'note',
        text: `root pid ${run.target.rootPid}: ${how(s.exit)}, ${Math.round(s.exit.afterMs)} ms after SIGTERM`,
      });
    return { id: 'clean-shutdown', pass: false, summary: problems.join('; '), evidence };
  },
};
