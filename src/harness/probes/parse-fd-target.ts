// readlink(/proc/PID/fd/N) → FdEntry. Targets look like "socket:[1234]", "pipe:[99]",
// "anon_inode:[eventpoll]", "anon_inode:inotify", "/dev/null", "/tmp/x (deleted)", "net:[4026531840]".
import type { FdEntry, FdKind } from './types.js';

const bracketed = /^([a-z_]+):\[(\d+)\]$/;

export function parseFdTarget(fd: number, target: string): FdEntry {
  const match = bracketed.exec(target);
  if (match) {
    const kind: FdKind = match[1] === 'socket' ? 'socket' : match[1] === 'pipe' ? 'pipe' : 'other';
    return { fd, target, kind, inode: kind === 'other' ? null : Number(match[2]) };
  }
  // regular files, directories, devices, deleted files: anything with a path
  if (target.startsWith('/')) return { fd, target, kind: 'file', inode: null };
  return { fd, target, kind: 'other', inode: null };
}
