// The token every request of the harness carries and every answer of its origin echoes (path, body and header):
// what lets a response delivered to the wrong client (cross-talk) be seen. Load generators and the origin share it.

export const TOKEN_HEADER = 'x-handoff-token';

export function tokenPath(token: string): string {
  return `/t/${encodeURIComponent(token)}`;
}

export function tokenBody(token: string): string {
  return `token=${token}\n`;
}

/** Extracts the token an origin response carries in its body, or null. */
export function tokenFromBody(body: string): string | null {
  const m = /^token=([^\n]*)\n/.exec(body);
  return m ? m[1] : null;
}
