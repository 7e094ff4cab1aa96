import { isIPv6 } from 'node:net';

/** Addresses that mean "every interface": a browser cannot open them, but this machine answers on localhost. */
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/** The base URL a person can open for a service listening on `host`:`port`. */
export function browsableBaseUrl(host: string, port: number): string {
  if (ANY_ADDRESS.has(host)) return `http://localhost:${port}`;
  return isIPv6(host) ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
