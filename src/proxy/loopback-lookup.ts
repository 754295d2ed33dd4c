// DNS for names allowed only because they look like loopback (localhost, *.localhost): the policy trusts the
// name, so the answer must be loopback too, or a resolver could send the proxy anywhere.
import dns from 'node:dns';
import net from 'node:net';
import { isLoopbackHost } from './policy.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** The answers a loopback-only name may use. Pure. */
export function loopbackAnswers(addresses: readonly dns.LookupAddress[]): dns.LookupAddress[] {
  return addresses.filter((a) => isLoopbackHost(a.address));
}

export function loopbackOnlyLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const loopback = loopbackAnswers(addresses);
    if (loopback.length === 0) {
      const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${addresses.map((a) => a.address).join(', ')}: not loopback`);
      refused.code = 'ENOTLOOPBACK';
      return callback(refused, '');
    }
    if (options.all) callback(null, loopback);
    else callback(null, loopback[0].address, loopback[0].family);
  });
}

/** The lookup a connection to `host` must use: ours when only its loopback-looking name let it through. */
export function lookupFor(host: string, allowHosts: readonly string[]): typeof loopbackOnlyLookup | undefined {
  if (net.isIP(host) !== 0 || !isLoopbackHost(host)) return undefined;
  const h = host.toLowerCase();
  return allowHosts.some((a) => a === '*' || a.toLowerCase() === h) ? undefined : loopbackOnlyLookup;
}
