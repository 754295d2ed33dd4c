// Readiness beyond "the port accepts", for servers that listen before they can serve (testcontainers' wait
// strategies): an HTTP GET on a path until it answers 2xx (--ready-path), and a line of the target's output that
// matches a pattern (--ready-log). The parsers are pure; the probe is one bounded request.
import http from 'node:http';
import { UsageError } from '../util/errors.js';
import { lineSplitter } from '../util/line-splitter.js';

export interface Readiness {
  /** GET this path on the target until it answers 2xx */
  path?: string;
  /** a line of the target's stdout or stderr matching this */
  log?: RegExp;
}

export function parseReadyPath(text: string, where: string): string {
  if (!/^\/[\x21-\x7e]*$/.test(text))
    throw new UsageError(`${where}: "${text}" is not a request path (expected e.g. /healthz: a leading slash, no spaces)`);
  return text;
}

export function parseReadyLog(text: string, where: string): RegExp {
  if (text === '') throw new UsageError(`${where}: an empty pattern matches any line`);
  try {
    return new RegExp(text);
  } catch (err) {
    throw new UsageError(`${where}: invalid regular expression ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}

/** The status of one `GET path` (connection closed after it), or null when there was no answer within timeoutMs. */
export function probeHttp(host: string, port: number, path: string, timeoutMs = 1_000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.on('close', () => resolve(null));
  });
}

/**
 * Feeds chunks of one stream, line by line, to `pattern`; true once a line matched (then it stops looking).
 * A line longer than `maxLine` is tested by its first maxLine characters.
 */
export function lineWatcher(pattern: RegExp, maxLine = 64 * 1024): (chunk: string) => boolean {
  let seen = false;
  const test = (line: string): void => {
    if (!seen && pattern.test(line)) seen = true;
  };
  const feed = lineSplitter((line) => test(line.replace(/\r$/, '')), {
    maxPending: maxLine,
    onOverflow: (partial) => test(partial.slice(0, maxLine)),
  });
  return (chunk) => {
    if (!seen) feed(chunk);
    return seen;
  };
}
