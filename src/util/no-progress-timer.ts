// "No progress for `ms`" that a stalled process does not misjudge. After a stall (a busy or descheduled
// process), Node runs expired timers before it delivers the I/O that arrived meanwhile, so a plain timer fires
// on a transfer that kept moving. This one looks again after the loop turn's I/O (setImmediate) and gives up only
// if nothing came. Marking progress is a timestamp store: cheap enough for every chunk.

export interface NoProgressTimer {
  /** something moved: the deadline is `ms` from now */
  progress(): void;
  clear(): void;
}

export function noProgressTimer(ms: number, onExpiry: () => void): NoProgressTimer {
  let last = Date.now();
  let cleared = false;
  let timer: NodeJS.Timeout;
  let immediate: NodeJS.Immediate | undefined;
  const lookAfterIo = (): void => {
    immediate = setImmediate(() => {
      immediate = undefined;
      if (cleared) return;
      const idle = Date.now() - last;
      if (idle >= ms) onExpiry();
      else timer = setTimeout(lookAfterIo, ms - idle);
    });
  };
  timer = setTimeout(lookAfterIo, ms);
  return {
    progress: () => {
      last = Date.now();
    },
    clear: () => {
      cleared = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}
