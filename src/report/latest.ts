// `reports/latest`: a relative symlink to the newest run directory, swapped atomically (a new link
// renamed over the old one), so a reader never sees it missing. A real file or directory that happens
// to be called `latest` is never replaced.
import { lstatSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Points `<parent of runDir>/latest` at runDir; returns the pointer's path. */
export function updateLatest(runDir: string): string {
  const absolute = resolve(runDir);
  const pointer = join(dirname(absolute), 'latest');
  let existing: ReturnType<typeof lstatSync> | null = null;
  try {
    existing = lstatSync(pointer);
  } catch {
    // no pointer yet
  }
  if (existing && !existing.isSymbolicLink()) throw new Error(`${pointer} exists and is not a symlink; left alone`);
  const temp = `${pointer}.${process.pid}.tmp`;
  rmSync(temp, { force: true });
  symlinkSync(basename(absolute), temp, 'dir');
  try {
    renameSync(temp, pointer);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  return pointer;
}
