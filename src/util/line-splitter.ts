// Turns a stream's text chunks into whole lines, for every reader of a line protocol (a target's announcements,
// the supervisor channel, --ready-log). A partial line longer than maxPending is dropped: a peer that never ends a
// line is not trusted with memory; onOverflow sees it first.
export interface LineSplitterOptions {
  maxPending?: number;
  onOverflow?: (partial: string) => void;
}

export function lineSplitter(onLine: (line: string) => void, options: LineSplitterOptions = {}): (chunk: string) => void {
  const maxPending = options.maxPending ?? 64 * 1024;
  let pending = '';
  return (chunk) => {
    pending += chunk;
    let start = 0;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n', start)) {
      onLine(pending.slice(start, nl));
      start = nl + 1;
    }
    pending = pending.slice(start);
    if (pending.length > maxPending) {
      options.onOverflow?.(pending);
      pending = '';
    }
  };
}
