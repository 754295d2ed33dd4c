// The pipelining bound of one client connection, used by every strategy (they all serve through forward.ts).
// A client may pipeline any number of requests; node:http answers them in order but would forward all of them
// at once (unbounded upstream work, unbounded memory). Here at most PIPELINE_BOUND are forwarded at a time, the
// rest wait (reading from the client is paused meanwhile), and when the connection closes every request not yet
// settled is cancelled and settled exactly once: node:http never closes the responses it still queues behind the
// one on the wire, so their books would otherwise never balance (a later SIGTERM would wait out the grace).
// No I/O of its own: the connection's reading is what `pause`/`resume` stand for.

/** Requests of one client connection forwarded at once. */
export const PIPELINE_BOUND = 8;

export interface PipelinedRequest {
  /** forward it: called at most once, never after cancel() */
  start(): void;
  /** the connection closed before its response did: stop what start() began (called at most once) */
  cancel(): void;
  /** the books: called exactly once, when its response closes or the connection does */
  settle(): void;
}

export interface ConnectionReading {
  pause(): void;
  resume(): void;
}

interface Entry {
  request: PipelinedRequest;
  started: boolean;
  settled: boolean;
}

export interface ConnectionPipeline {
  /** A request arrived; returns what to call once its response has closed (idempotent). */
  admit(request: PipelinedRequest): () => void;
  /** The connection closed: cancel and settle every request not settled yet. */
  closeAll(): void;
  /** requests admitted and not settled */
  readonly pending: number;
  /** of them, forwarded (started) */
  readonly forwarded: number;
}

/**
 * `later` runs the start of waiting requests after an answer: a turn of the loop later, so that a client who left
 * is known gone (the write of the next answer fails) before more of its requests go upstream.
 */
export function createConnectionPipeline(
  reading: ConnectionReading,
  bound = PIPELINE_BOUND,
  later: (fn: () => void) => void = setImmediate,
): ConnectionPipeline {
  const entries: Entry[] = []; // admitted, not settled, in arrival order
  let forwarded = 0;
  let paused = false;
  let closed = false;

  function startWaiting(): void {
    if (closed) return;
    for (const e of entries) {
      if (forwarded >= bound) break;
      if (e.started) continue;
      e.started = true;
      forwarded++;
      e.request.start();
    }
    // every admitted request that is not settled is forwarded: nothing waits any more
    if (paused && entries.length === forwarded) {
      paused = false;
      reading.resume();
    }
  }

  function settle(e: Entry): void {
    if (e.settled) return;
    e.settled = true;
    entries.splice(entries.indexOf(e), 1);
    if (e.started) forwarded--;
    e.request.settle();
  }

  return {
    admit(request) {
      const e: Entry = { request, started: false, settled: false };
      if (closed) {
        // a request parsed after the connection closed (same tick): nothing to forward it to
        e.settled = true;
        request.settle();
        return () => {};
      }
      entries.push(e);
      if (forwarded < bound) {
        e.started = true;
        forwarded++;
        request.start();
      } else if (!paused) {
        paused = true;
        reading.pause();
      }
      return () => {
        if (e.settled) return;
        settle(e);
        later(startWaiting);
      };
    },
    closeAll() {
      closed = true;
      for (const e of entries.slice()) {
        if (e.settled) continue;
        if (e.started) e.request.cancel();
        settle(e);
      }
    },
    get pending() {
      return entries.length;
    },
    get forwarded() {
      return forwarded;
    },
  };
}
