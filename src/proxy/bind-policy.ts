// Who may reach the proxy. Bound to loopback (the default), only this machine's users can, and loopback
// destinations are theirs anyway. Bound to any other address (0.0.0.0, ::, a LAN address), every peer that
// can reach the machine could use the proxy to reach its loopback services: refused unless the user says
// --public, which then requires credentials and stops allowing this host as a destination by default
// (policy.ts: only when --allow-host names it exactly).
import type { ProxyOptions } from './options.js';
import { AUTH_ENV } from './credentials.js';
import { isLoopbackHost } from './policy.js';
import { UsageError } from '../util/errors.js';

/** Throws a one-line UsageError when the bind address and --public / credentials do not agree. Pure. */
export function assertBindPolicy(o: Pick<ProxyOptions, 'host' | 'public' | 'auth'>): void {
  if (!o.public && !isLoopbackHost(o.host)) {
    throw new UsageError(
      `--host ${o.host} would open the proxy, and through it this machine's loopback services, to the network: pass --public to mean it (credentials required, loopback destinations then only by --allow-host)`,
    );
  }
  if (o.public && !o.auth) {
    throw new UsageError(`--public requires credentials: set ${AUTH_ENV}=user:pass or pass --auth-file <file> (mode 0600)`);
  }
}
