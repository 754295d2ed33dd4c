// DNS for the proxy's connections where the destination policy depends on the answer. Names that are loopback
// by name (localhost, localhost., *.localhost) are answered here, never by a resolver (RFC 6761 §6.3: they are
// always loopback, and a resolver could send the proxy anywhere). Under --public, where this host is no longer
// a destination by default, a name allowed by --allow-host must not resolve to it either (DNS rebinding).
import dns from 'node:dns';
import net from 'node:net';
import { isLoopbackHost, isThisHost } from './policy.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
type Lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;

const LOOPBACK: readonly dns.LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/** The answers of the given family (0, undefined: any), in order. Pure. */
export function ofFamily(addresses: readonly dns.LookupAddress[], family: dns.LookupOptions['family']): dns.LookupAddress[] {
  const f = family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : Number(family ?? 0);
  return addresses.filter((a) => f === 0 || a.family === f);
}

function answer(hostname: string, addresses: dns.LookupAddress[], options: dns.LookupOptions, callback: LookupCallback): void {
  if (addresses.length === 0) {
    const none: NodeJS.ErrnoException = new Error(`${hostname}: no usable address`);
    none.code = 'ENOTFOUND';
    callback(none, '');
    return;
  }
  if (options.all) callback(null, addresses);
  else callback(null, addresses[0].address, addresses[0].family);
}

/** localhost and its subdomains: the loopback addresses, no resolver asked. */
export const localhostLookup: Lookup = (hostname, options, callback) => {
  process.nextTick(() => answer(hostname, ofFamily(LOOPBACK, options.family), options, callback));
};

/** The answers that are not this host. Pure. */
export function foreignAnswers(addresses: readonly dns.LookupAddress[]): dns.LookupAddress[] {
  return addresses.filter((a) => !isThisHost(a.address));
}

/** The system resolver, with answers on this host refused (--public: loopback is not a destination). */
export const foreignOnlyLookup: Lookup = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const foreign = foreignAnswers(addresses);
    if (foreign.length === 0 && addresses.length > 0) {
      const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${addresses.map((a) => a.address).join(', ')}: this host`);
      refused.code = 'ELOOPBACKREFUSED';
      return callback(refused, '');
    }
    answer(hostname, foreign, options, callback);
  });
};

/** The lookup a connection to `host` must use (undefined: an IP literal, or the system resolver as is). */
export function lookupFor(host: string, loopbackByDefault = true): Lookup | undefined {
  if (net.isIP(host) !== 0) return undefined;
  if (isLoopbackHost(host)) return localhostLookup;
  return loopbackByDefault ? undefined : foreignOnlyLookup;
}
