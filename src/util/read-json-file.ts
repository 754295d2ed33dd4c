// Reads a small JSON file the user named (a config, a suite): only a regular file, only up to a size a config could
// have, so `--suite /dev/zero` or a FIFO is a one-line refusal instead of a hang or unbounded memory.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

export const MAX_JSON_FILE_BYTES = 1024 * 1024;

/** Parsed JSON of `file`; UsageError naming `what` on a missing, special, oversized, unreadable or invalid file. */
export function readJsonFile(file: string, what: string): unknown {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once (fstat then refuses it) instead of blocking
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${what} ${file} is not a regular file`);
    if (st.size > MAX_JSON_FILE_BYTES)
      throw new UsageError(`${what} ${file} is ${st.size} bytes: more than the ${MAX_JSON_FILE_BYTES} a ${what} may have`);
    text = readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    closeSync(fd);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
