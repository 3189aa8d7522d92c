import { isIP } from 'node:net';

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::ffff:127.0.0.1';
}

/**
 * The start-up rule: without any token (auth off) Baton may only listen on loopback. Throws
 * with the fix spelled out otherwise; returns whether the server runs without auth.
 */
export function assertListenAddressAllowed(host: string, authEnabled: boolean): { authOff: boolean } {
  if (authEnabled) return { authOff: false };
  if (isLoopbackHost(host)) return { authOff: true };
  throw new Error(
    `refusing to listen on ${host} with auth off: no API token exists. ` +
      'Set BATON_BOOTSTRAP_TOKEN, or create one with `npm run baton -- token create --name <name> --role admin`, ' +
      'or set HOST=127.0.0.1.',
  );
}
