// Proxy credentials ("user:pass" for Basic auth) never travel on a command line, where `ps`, shell history and
// every report would show them: they come from the environment (HANDOFF_PROXY_AUTH) or from a file only its owner
// can read (--auth-file, mode 0600 or stricter). The harness passes them on to the reference proxy the same way,
// and whatever shows a run (reports, summaries, logs) masks them with redactSecrets().
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { UsageError } from '../util/errors.js';

// masking lives in util/ so that reports need not import the proxy
export { REDACTED, redactArgv, redactSecrets } from '../util/redact-secrets.js';

export const AUTH_ENV = 'HANDOFF_PROXY_AUTH';

/** "user:pass" as given (a trailing newline of a file dropped) → the credential, or a UsageError. Pure. */
export function parseCredentials(text: string, source: string): string {
  const value = text.replace(/\r?\n$/, '');
  if (!/^[^:\r\n]+:[^\r\n]*$/.test(value)) throw new UsageError(`invalid credentials in ${source} (expected one line user:pass)`);
  return value;
}

/** Owner-only file mode (0600, 0400): anything readable or writable by group or others is refused. Pure. */
export function ownerOnly(mode: number): boolean {
  return (mode & 0o077) === 0;
}

/** Reads --auth-file: a regular file, not a symlink, readable by its owner only. */
function readAuthFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--auth-file ${path}: ${code === 'ELOOP' ? 'is a symbolic link (refused)' : (code ?? (err as Error).message)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`--auth-file ${path}: not a regular file`);
    if (!ownerOnly(st.mode)) {
      throw new UsageError(
        `--auth-file ${path}: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets others read it (chmod 600 it)`,
      );
    }
    return parseCredentials(readFileSync(fd, 'utf8'), `--auth-file ${path}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * The credentials the proxy must require (and the harness's generators send), or null for none:
 * --auth-file, else HANDOFF_PROXY_AUTH. Both at once is ambiguous and refused.
 */
export function loadCredentials(authFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env[AUTH_ENV];
  if (authFile !== undefined && fromEnv) throw new UsageError(`both --auth-file and ${AUTH_ENV} are set: give one`);
  if (authFile !== undefined) return readAuthFile(authFile);
  return fromEnv ? parseCredentials(fromEnv, AUTH_ENV) : null;
}

/** The Proxy-Authorization value for a credential. */
export function basicAuthorization(credentials: string): string {
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}
