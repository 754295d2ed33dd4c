// Masking credentials wherever a run is shown (reports, summaries, a target's recorded command): every form of a
// known credential, and the values of credential-carrying flags and URL userinfo. Pure.
export const REDACTED = '[redacted]';

/** Every form a credential may be shown in: as given, base64-encoded, and its password alone when not trivially short. */
function secretForms(credentials: string): string[] {
  const password = credentials.slice(credentials.indexOf(':') + 1);
  const forms = [credentials, Buffer.from(credentials, 'utf8').toString('base64')];
  if (password.length >= 4) forms.push(password);
  return forms;
}

/** `text` with every form of each credential replaced by [redacted]. Pure. */
export function redactSecrets(text: string, credentials: readonly (string | null | undefined)[]): string {
  let out = text;
  for (const c of credentials) {
    if (!c) continue;
    for (const form of secretForms(c)) out = out.split(form).join(REDACTED);
  }
  return out;
}

/**
 * An argv as a report may show it: the value of a credential-carrying flag (--auth, --password, --token, …:
 * handoff's own old --auth, or a command target's) and user:pass@ in URLs masked, then every known credential. Pure.
 */
export function redactArgv(argv: readonly string[], credentials: readonly (string | null | undefined)[] = []): string[] {
  const secretFlag = /^--?(auth|password|passwd|pass|token|secret|api-key|proxy-auth)$/i;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = /^(--?(?:auth|password|passwd|pass|token|secret|api-key|proxy-auth))=/i.exec(a);
    if (eq) out.push(`${eq[1]}=${REDACTED}`);
    else if (secretFlag.test(a) && i + 1 < argv.length) {
      out.push(a, REDACTED);
      i++;
    } else out.push(redactSecrets(a.replace(/(\/\/[^/@\s:]+:)[^/@\s]+@/g, `$1${REDACTED}@`), credentials));
  }
  return out;
}
