// A connection answered before its request body was read (413, 400, 403 …) must not be closed while the client
// is still sending: close() on a socket with unread bytes, or with bytes still arriving, makes the kernel send
// RST instead of FIN, and a client that has not read the answer yet loses it (Apache's "lingering close").
// Children close the classic way (close(), no shutdown: fork-close.ts, fork/child.ts); they drain first. The
// inline family (inline, prefork and cluster workers) sends its FIN at once with shutdown(), then drains too.
import net from 'node:net';
import { noProgressTimer } from '../util/no-progress-timer.js';

/**
 * After the last byte from the client, this long of silence means it stopped sending. Generous: a client (or
 * the machine it runs on) may pause between writes, and a byte arriving after close() is a RST again.
 */
const QUIET_MS = 500;
/** A client that never stops is closed on anyway (then with RST, as Apache does). */
const MAX_DRAIN_MS = 2_000;

const unread = new WeakSet<net.Socket>();

/** The answer on this socket leaves the rest of a request body unread. */
export function markUnreadBody(socket: net.Socket): void {
  unread.add(socket);
  // node:http ends a `Connection: close` exchange with destroySoon(): FIN, then close() as soon as it is sent,
  // with the upload still arriving. Strategies that close their own way (children) have replaced it already.
  if (socket.destroySoon === net.Socket.prototype.destroySoon) {
    socket.destroySoon = () => {
      if (socket.writable) socket.end();
      const drain = (): void => closeAfterDrain(socket, () => socket.destroy());
      if (socket.writableFinished) drain();
      else socket.once('finish', drain);
    };
  }
}

interface StreamHandle {
  reading?: boolean;
  readStart?: () => number;
}

/**
 * Reads again, whoever stopped reading. node:http's parser pauses the handle when a body nobody reads fills its
 * buffer, and the stream's own read state stays stuck (a socket the parser consumed never pushes), so resume()
 * alone never reads again: this is what node:http's own resume handler does for a consumed socket.
 */
function keepReading(socket: net.Socket): void {
  socket.resume();
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (handle && handle.reading === false && typeof handle.readStart === 'function') {
    handle.reading = true;
    handle.readStart();
  }
}

const draining = new WeakSet<net.Socket>();

/**
 * Calls `close` now, or once the client of a marked socket has stopped sending (silence, its FIN, or a cap). A
 * socket already draining is closed when that drain ends: a second caller (a child's close hook after the
 * proxy's own, say) must not cut it short.
 */
export function closeAfterDrain(socket: net.Socket, close: () => void): void {
  if (draining.has(socket)) return;
  if (!unread.has(socket) || socket.destroyed) {
    close();
    return;
  }
  unread.delete(socket);
  draining.add(socket);
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    quiet.clear();
    clearTimeout(cap);
    socket.off('data', onData);
    close();
  };
  const onData = (): void => quiet.progress();
  const quiet = noProgressTimer(QUIET_MS, finish);
  const cap = setTimeout(finish, MAX_DRAIN_MS);
  socket.on('data', onData);
  socket.once('end', finish);
  socket.once('close', finish);
  keepReading(socket);
}
