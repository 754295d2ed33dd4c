// Children forked ahead (`--strategy fork --spares N`): fork() and the child's post-fork set-up (uv_loop_fork,
// closing the zygote's handles) happen before a connection arrives instead of on its time. A spare inherits the
// listening socket, opens a server of its own on it, accepts one connection itself, tells the zygote
// ("<pid>\n" on the notify pipe, so a replacement is forked) and serves it like any fork child. The zygote has
// closed its own server and keeps only a copy of the listening socket that libuv does not watch: it never
// accepts, so it never holds a client socket.
//
// Two pipes, both created by the zygote:
//   stand-down  the zygote holds the only write end; closing it (shutdown) makes idle spares _exit(0) on EOF
//   notify      spares write "<pid>\n" when they take a connection (one write < PIPE_BUF: never interleaved)
import net from 'node:net';
import type { ForkAddon } from '../../native/addon.js';
import type { ChildExit } from './reaper.js';

/** Whole "<pid>\n" records out of what was read so far, and the incomplete tail to keep for the next read. */
export function parseTakenRecords(text: string): { pids: number[]; rest: string } {
  const end = text.lastIndexOf('\n');
  if (end < 0) return { pids: [], rest: text };
  const pids = text
    .slice(0, end)
    .split('\n')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
  return { pids, rest: text.slice(end + 1) };
}

/**
 * A child the zygote still counts as idle has exited: did it fail (killed from outside, or unable to listen), or
 * did it serve a connection whose "<pid>\n" line is still unread? SIGCHLD often beats the notify pipe when a
 * connection is short, and only a spare that served one exits with 0 (stand-down exits happen at shutdown, when
 * nothing is forked any more). Failures are replaced after a pause so that a permanent one cannot fork-loop;
 * a spare that served must be replaced at once, or connections wait in the backlog for the pause.
 */
export function idleSpareFailed(exit: ChildExit): boolean {
  return exit.code !== 0;
}

export class SparePool {
  private readonly idle = new Set<number>();
  private standDown: [number, number] | null;
  private readonly notify: [number, number];
  private notes: net.Socket | null = null;
  private pending = '';

  constructor(
    private readonly addon: ForkAddon,
    /** the listening socket, not watched by the zygote's event loop */
    private listenFd: number,
    /** a spare took a connection (already removed from the idle set) */
    private readonly onTaken: () => void,
  ) {
    this.standDown = addon.deathPipe();
    this.notify = addon.deathPipe();
  }

  /** In the zygote: start reading the notify pipe. */
  start(): void {
    const notes = new net.Socket({ fd: this.notify[0], readable: true, writable: false });
    notes.setEncoding('latin1');
    notes.on('data', (chunk: string) => {
      const { pids, rest } = parseTakenRecords(this.pending + chunk);
      this.pending = rest;
      for (const pid of pids) this.idle.delete(pid);
      if (pids.length > 0) this.onTaken();
    });
    notes.on('error', () => undefined);
    this.notes = notes;
  }

  idleCount(): number {
    return this.idle.size;
  }

  /** In the zygote, after forking a spare. */
  added(pid: number): void {
    this.idle.add(pid);
  }

  /** In the zygote: a child exited. True when an idle spare died without serving (see idleSpareFailed). */
  exited(exit: ChildExit): boolean {
    return this.idle.delete(exit.pid) && idleSpareFailed(exit);
  }

  /**
   * In a freshly forked child: drop the zygote's reader, watch for the stand-down, and listen on the inherited
   * socket with the zygote's server options. The caller closes the returned server once its connection arrives.
   */
  enterSpare(onConnection: (socket: net.Socket) => void): net.Server {
    this.notes?.destroy();
    this.notes = null;
    this.idle.clear();
    const [read, write] = this.standDown!;
    this.addon.becomeSpare(read, write);
    const server = net.createServer({ pauseOnConnect: true }, onConnection);
    server.on('error', () => this.addon.exitNow(70)); // a spare that cannot listen is no use: the zygote replaces it
    server.listen({ fd: this.listenFd });
    return server;
  }

  /** In the spare, as it accepts its connection. */
  taken(): void {
    this.addon.takeSpare(this.notify[1]);
  }

  /** In the zygote at shutdown: idle spares see EOF and exit; spares already serving carry on. */
  standDownIdle(): void {
    if (!this.standDown) return;
    this.addon.closeFd(this.standDown[1]);
    this.addon.closeFd(this.standDown[0]);
    this.standDown = null;
  }

  /** In the zygote, once every child is gone. */
  close(): void {
    this.standDownIdle();
    if (this.listenFd >= 0) this.addon.closeFd(this.listenFd);
    this.listenFd = -1;
    if (this.notes)
      this.notes.destroy(); // closes the read end it owns
    else this.addon.closeFd(this.notify[0]);
    this.notes = null;
    this.addon.closeFd(this.notify[1]);
  }
}
