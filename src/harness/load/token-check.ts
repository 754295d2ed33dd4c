// Does an answer carry its request's token? The proxy's origin writes it in the body; an echoing server (--echo)
// repeats the request path. Shared by every generator; apart from flood.ts so that a churn thread never loads
// autocannon.
import { tokenFromBody } from '../origin/token.js';

export function checkToken(body: string, token: string, proxyOrigin: boolean): 'ok' | 'wrong-token' | 'missing-token' {
  if (proxyOrigin) {
    const got = tokenFromBody(body);
    if (got === token) return 'ok';
    return got === null ? 'missing-token' : 'wrong-token';
  }
  return checkEchoedToken(body, token);
}

const TOKEN_CHAR = '[\\w.~%-]';

function decodeOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * An echoing server (--echo): its body repeats the request path, `/t/<token>`. Every token-path in the body is
 * read whole: the expected one is ok; another token of this run is cross-talk (wrong-token), even one that
 * merely starts with the expected token (`…-1k` for `…-1`); none is missing-token. A body that echoes the token
 * without its path must show it whole, not as part of a longer token.
 */
export function checkEchoedToken(body: string, token: string): 'ok' | 'wrong-token' | 'missing-token' {
  const echoed = [...body.matchAll(new RegExp(`/t/(${TOKEN_CHAR}+)`, 'g'))].map((m) => decodeOr(m[1]));
  if (echoed.includes(token)) return 'ok';
  // tokens are `<run prefix>-<generator>-<n>`: another request of this run shares the prefix
  const runPrefix = token.slice(0, token.indexOf('-') + 1);
  if (runPrefix && echoed.some((e) => e.startsWith(runPrefix))) return 'wrong-token';
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|(?!${TOKEN_CHAR}).)${escaped}($|(?!${TOKEN_CHAR}).)`, 's').test(body) ? 'ok' : 'missing-token';
}
