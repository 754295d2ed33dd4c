// A scripted client on a raw TCP socket: writes, pauses, half-closes and resets exactly when told, and records
// what the server answered (status, whether the response was complete) and how the connection ended. The
// building block of the abuse and origin-fault cases, which need control node:http does not give.
import net from 'node:net';
import { decodeChunked, parseHead, type ParsedHead } from './http-response.js';

export type Step =
  /** write these bytes */
  | { write: string | Buffer }
  /** write one byte every gapMs until all are sent, the server closes, or stopAfterMs passes */
  | { trickle: string; gapMs: number; stopAfterMs: number }
  | { pause: number }
  /** half-close: FIN, keep reading */
  | { end: true }
  /** abort with RST */
  | { reset: true }
  /** close both ways without RST (the client just leaves) */
  | { leave: true }
  /** wait until the response head arrived, the response is complete, or the server closed — or timeoutMs */
  | { until: 'head' | 'complete' | 'closed'; timeoutMs: number };

export interface Exchange {
  connected: boolean;
  /** connect or socket error code before the server closed, if any */
  error: string | null;
  head: ParsedHead | null;
  /** the whole response arrived (by its framing) */
  complete: boolean;
  /** first bytes of the body (for token checks) */
  bodyStart: string;
  bodyBytes: number;
  /** how the server ended the connection, if it did while we listened */
  serverClosed: 'fin' | 'rst' | null;
  /** an `until` step ran out of time */
  timedOut: boolean;
  /** ms from connect to the server's close (or null) */
  closedAfterMs: number | null;
  /** the client ended the exchange itself (reset/leave step) */
  clientLeft: boolean;
}

const BODY_START = 256;

export function runExchange(target: { host: string; port: number }, steps: Step[], signal?: AbortSignal): Promise<Exchange> {
  return new Promise((resolve) => {
    const x: Exchange = {
      connected: false,
      error: null,
      head: null,
      complete: false,
      bodyStart: '',
      bodyBytes: 0,
      serverClosed: null,
      timedOut: false,
      closedAfterMs: null,
      clientLeft: false,
    };
    const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const t0 = performance.now();
    let headBuf = Buffer.alloc(0);
    let length: number | null = null;
    let chunked = false;
    const chunks: Buffer[] = [];
    let waiter: (() => void) | null = null;
    let finished = false;
    const wake = (): void => {
      const w = waiter;
      waiter = null;
      w?.();
    };
    const finish = (): void => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      wake();
      resolve(x);
    };
    const onAbort = (): void => {
      if (x.serverClosed === null) x.error ??= 'aborted';
      finish();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const onBody = (chunk: Buffer): void => {
      x.bodyBytes += chunk.length;
      if (x.bodyStart.length < BODY_START) x.bodyStart += chunk.subarray(0, BODY_START).toString('latin1');
      if (chunked) {
        chunks.push(chunk);
        const r = decodeChunked(Buffer.concat(chunks));
        if (r && r !== 'bad') {
          x.complete = true;
          x.bodyBytes = r.body.length;
          x.bodyStart = r.body.subarray(0, BODY_START).toString('latin1');
        }
      } else if (length !== null && x.bodyBytes >= length) {
        x.complete = true;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (x.head) {
        onBody(chunk);
      } else {
        headBuf = Buffer.concat([headBuf, chunk]);
        const end = headBuf.indexOf('\r\n\r\n');
        if (end >= 0) {
          x.head = parseHead(headBuf.subarray(0, end).toString('latin1')) ?? { status: 0, headers: {} };
          const te = x.head.headers['transfer-encoding'] ?? '';
          chunked = /\bchunked\b/i.test(te);
          const cl = x.head.headers['content-length'];
          length = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null;
          if (!chunked && length === 0) x.complete = true;
          const rest = headBuf.subarray(end + 4);
          if (rest.length > 0) onBody(rest);
        }
      }
      wake();
    });
    socket.on('end', () => {
      x.serverClosed ??= 'fin';
      x.closedAfterMs ??= performance.now() - t0;
      // a response framed by the close is complete when the server ends it
      if (x.head && !chunked && length === null) x.complete = true;
      wake();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!x.connected) x.error = err.code ?? err.message;
      else if (err.code === 'ECONNRESET') x.serverClosed ??= 'rst';
      else if (x.serverClosed === null && !x.clientLeft) x.error ??= err.code ?? err.message;
      x.closedAfterMs ??= performance.now() - t0;
      wake();
    });
    socket.on('close', () => {
      if (!x.clientLeft && x.connected) {
        x.serverClosed ??= 'fin';
        x.closedAfterMs ??= performance.now() - t0;
      }
      wake();
    });

    const gone = (): boolean => finished || socket.destroyed || x.serverClosed !== null;
    /** resolves on any socket event or after ms */
    const tick = (ms: number): Promise<void> =>
      new Promise((r) => {
        const timer = setTimeout(() => {
          waiter = null;
          r();
        }, ms);
        waiter = () => {
          clearTimeout(timer);
          r();
        };
      });
    const write = (data: string | Buffer): void => {
      if (!socket.destroyed && socket.writable) socket.write(data);
    };
    const reached = (until: 'head' | 'complete' | 'closed'): boolean =>
      until === 'head'
        ? x.head !== null || x.serverClosed !== null
        : until === 'complete'
          ? x.complete || x.serverClosed !== null
          : x.serverClosed !== null;

    const script = async (): Promise<void> => {
      for (const step of steps) {
        if (finished) return;
        if ('write' in step) write(step.write);
        else if ('trickle' in step) {
          const stopAt = performance.now() + step.stopAfterMs;
          for (let i = 0; i < step.trickle.length && !gone() && performance.now() < stopAt; i++) {
            write(step.trickle[i]);
            await tick(step.gapMs);
          }
        } else if ('pause' in step) {
          const until = performance.now() + step.pause;
          while (!finished && performance.now() < until) await tick(until - performance.now());
        } else if ('end' in step) {
          if (!socket.destroyed) socket.end();
        } else if ('reset' in step) {
          x.clientLeft = true;
          socket.resetAndDestroy();
          return;
        } else if ('leave' in step) {
          x.clientLeft = true;
          socket.end();
          socket.destroy();
          return;
        } else {
          const deadline = performance.now() + step.timeoutMs;
          while (!finished && !reached(step.until)) {
            const left = deadline - performance.now();
            if (left <= 0) {
              x.timedOut = true;
              return;
            }
            await tick(left);
          }
        }
      }
    };
    socket.once('connect', () => {
      x.connected = true;
      socket.setNoDelay(true);
      script().then(finish, (err: unknown) => {
        x.error ??= err instanceof Error ? err.message : String(err);
        finish();
      });
    });
    socket.once('error', () => {
      if (!x.connected) finish();
    });
  });
}
