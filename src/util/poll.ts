// One poll loop with backoff, goleak-shaped (goleak's retry: check, give up past the deadline, sleep, back off):
// check → done? → past the deadline? → wait → check … The waits grow from initialMs by factor up to maxMs.
// Every wait-until-something loop of the harness is this loop; what differs is the check, the intervals and
// the deadline. A check may also give up on its own terms (a drain that stopped converging): `giveUp`.
/** What one check saw: done = the condition holds; giveUp = stop now without it. */
export interface Poll<T> {
  done: boolean;
  giveUp?: boolean;
  value: T;
}

export interface PollOptions {
  /** first wait (ms) */
  initialMs: number;
  /** longest wait (ms) */
  maxMs: number;
  /** growth of the wait after each one (default 1.5) */
  factor?: number;
  /** clock() at or past this after a check: stop without the condition (default: none, the check decides) */
  deadline?: number;
  /** the deadline's clock (default Date.now) */
  clock?: () => number;
  /** how to wait (default a timer; a run passes its interruptible wait) */
  wait?: (ms: number) => Promise<void>;
  /** wait before the first check (the state right before polling is already known) */
  waitFirst?: boolean;
  /** the wait actually taken for a backoff of ms (e.g. not past a deadline); default ms itself */
  cap?: (ms: number) => number;
}

export interface PollResult<T> {
  /** whether the condition held when polling stopped */
  held: boolean;
  /** the last check's value; undefined when the deadline passed before any check */
  value: T | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function pollUntil<T>(check: () => Poll<T> | Promise<Poll<T>>, opts: PollOptions): Promise<PollResult<T>> {
  const { initialMs, maxMs, factor = 1.5, deadline, clock = Date.now, wait = sleep, cap } = opts;
  let value: T | undefined;
  let skipCheck = opts.waitFirst === true;
  for (let ms = initialMs; ; ms = Math.min(maxMs, ms * factor)) {
    if (!skipCheck) {
      const seen = await check();
      value = seen.value;
      if (seen.done) return { held: true, value };
      if (seen.giveUp) return { held: false, value };
    }
    skipCheck = false;
    if (deadline !== undefined && clock() >= deadline) return { held: false, value };
    await wait(cap ? cap(ms) : ms);
  }
}
