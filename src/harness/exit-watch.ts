// The exit of a process that is not the harness's child (an `--attach` root): waitpid and libuv's 'exit' cannot
// see it. Where the kernel and the native addon offer it, a pidfd (native/pidfd.c) says so the moment it exits,
// and signals it without the pid-reuse race; elsewhere /proc is polled (every 50 ms), as before. Either way a
// zombie of its own parent counts as exited, and the process is identified by pid and start time.
import { constants } from 'node:os';
import type { ExitSeenBy } from '../model/report.js';
import { loadForkAddon } from '../native/addon.js';
import { signalPid } from './cleanup.js';
import { readStat } from './probes/proc-reader.js';

interface PidfdAddon {
  pidfdOpen(pid: number): number;
  pidfdWatch(fd: number, onExit: () => void): void;
  pidfdSignal(fd: number, signal: number): number;
  pidfdClose(fd: number): void;
}

export interface ExitWatch {
  /** how the exit is seen: 'pidfd' (an event) or 'proc-poll' (the fallback), with why when it fell back */
  readonly how: ExitSeenBy;
  readonly fallbackReason: string | null;
  /** resolves once, when the process has exited (or is a zombie); ms since the watch began */
  readonly exited: Promise<number>;
  /**
   * The signal to this process only, never one that reused its pid; false once it is gone (the poll also says
   * false for a zombie, the pidfd true until it is reaped: a zombie ignores signals either way).
   */
  signal(signal: NodeJS.Signals): boolean;
  /** stop watching; `exited` then never resolves if it had not */
  close(): void;
}

const POLL_MS = 50;

export interface ExitWatchOptions {
  /** 'proc-poll' forces the fallback (its test); default: a pidfd where possible */
  prefer?: ExitSeenBy;
}

/** Watches pid, known by its start time. Null when no such live process (gone, a zombie, or pid reused). */
export function watchExit(pid: number, starttime: number, opts: ExitWatchOptions = {}): ExitWatch | null {
  const same = (): boolean => {
    const s = readStat(pid);
    return s !== null && s.starttime === starttime && s.state !== 'Z';
  };
  if (!same()) return null;
  const opened = opts.prefer === 'proc-poll' ? { fallback: 'asked for' } : openPidfd(pid);
  if ('fd' in opened) {
    // the pidfd pins whichever process had the pid when it was opened: still ours only if the start time agrees
    if (!same()) {
      opened.addon.pidfdClose(opened.fd);
      return null;
    }
    try {
      return pidfdWatch(opened.addon, opened.fd);
    } catch (error) {
      // the event loop refused the fd (it never has here): poll instead
      opened.addon.pidfdClose(opened.fd);
      return pollWatch(pid, same, error instanceof Error ? error.message : String(error));
    }
  }
  return pollWatch(pid, same, opened.fallback);
}

function openPidfd(pid: number): { addon: PidfdAddon; fd: number } | { fallback: string } {
  const load = loadForkAddon();
  if (!load.ok) return { fallback: load.reason };
  const addon = load.addon as unknown as Partial<PidfdAddon>;
  if (typeof addon.pidfdOpen !== 'function') {
    return { fallback: 'the native addon predates pidfd; rebuild it with `npx handoff build-native`' };
  }
  try {
    return { addon: addon as PidfdAddon, fd: addon.pidfdOpen(pid) };
  } catch (error) {
    // ENOSYS before Linux 5.3, EMFILE; ESRCH (gone since the stat) is also just "poll, and see it gone"
    return { fallback: error instanceof Error ? error.message : String(error) };
  }
}

function pidfdWatch(addon: PidfdAddon, fd: number): ExitWatch {
  const began = Date.now();
  let open = true;
  let seen: (ms: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    seen = resolve;
  });
  addon.pidfdWatch(fd, () => seen(Date.now() - began)); // throws here, not inside a promise
  return {
    how: 'pidfd',
    fallbackReason: null,
    exited,
    signal(signal) {
      return open && addon.pidfdSignal(fd, constants.signals[signal]) === 0;
    },
    close() {
      if (open) addon.pidfdClose(fd);
      open = false;
    },
  };
}

function pollWatch(pid: number, same: () => boolean, reason: string): ExitWatch {
  const began = Date.now();
  let timer: NodeJS.Timeout | null = null;
  const exited = new Promise<number>((resolve) => {
    timer = setInterval(() => {
      if (same()) return;
      clearInterval(timer!);
      resolve(Date.now() - began);
    }, POLL_MS);
    timer.unref();
  });
  return {
    how: 'proc-poll',
    fallbackReason: reason,
    exited,
    signal(signal) {
      // re-identified by start time right before the signal: a window of one stat read remains
      return same() && signalPid(pid, signal);
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
