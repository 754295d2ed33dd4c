// Escaping for every output format. Report strings (cmdlines, fd targets, summaries) are untrusted:
// a target chooses its own argv, so a cmdline may hold markup, quotes, backticks or control characters.

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value for HTML. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

/**
 * Text or attribute value for XML 1.0. Characters XML 1.0 cannot carry at all (C0 controls other than
 * tab/newline/CR, lone surrogates, U+FFFE/U+FFFF) are written visibly as \xNN / \uNNNN instead.
 */
export function escapeXml(text: unknown): string {
  return String(text)
    .replace(/[&<>"']/g, (c) => HTML_ENTITIES[c])
    .replace(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      (c) => {
        const code = c.charCodeAt(0);
        return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      },
    );
}

/** Control characters made visible, newlines flattened: one evidence item stays on one line. */
export function oneLine(text: unknown): string {
  return (
    String(text)
      .replace(/\r?\n|\r/g, ' ⏎ ')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  );
}

/**
 * Markdown inline text (never placed at the start of a line): every character with inline Markdown or
 * HTML meaning is backslash-escaped; `$` too, GitHub renders math between dollars.
 */
export function escapeMarkdown(text: unknown): string {
  return oneLine(text).replace(/[\\`*_{}[\]<>|~&$]/g, (c) => `\\${c}`);
}

/**
 * A Markdown code span holding untrusted text. The fence is one backtick longer than the longest run
 * inside; `|` is escaped because GFM table cells split on it even inside code spans.
 */
export function markdownCode(text: unknown, inTable = true): string {
  let body = oneLine(text);
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  if (inTable) body = body.replace(/\|/g, '\\|');
  const pad = body.startsWith('`') || body.endsWith('`') || body === '' ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/**
 * JSON safe to place inside <script type="application/json">: no `<`, `>`, `&` or line separators
 * survive literally, so no string can close the script element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
