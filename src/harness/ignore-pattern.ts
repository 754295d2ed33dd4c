// `--ignore` / config `ignores`: a cmdline pattern of the user's own infrastructure, left out of every check
// (never out of the cleanup: sweep.ts kills the run's processes whatever they are called). A pattern that
// matches the empty string (``, `^`, `.*`, `a*`) matches every process and would switch the checks off: refused.
import { UsageError } from '../util/errors.js';

/** Parses one pattern; `where` names it in the one-line error (`--ignore`, `config.json: ignores[0]`). */
export function parseIgnorePattern(pattern: string, where: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw new UsageError(`${where}: invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  if (pattern.trim() === '' || re.test('')) {
    throw new UsageError(
      `${where}: ${pattern.trim() === '' ? 'an empty pattern' : `${JSON.stringify(pattern)} matches the empty string, so it`} would match every process`,
    );
  }
  return re;
}
