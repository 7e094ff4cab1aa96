import { isIPv4, isIPv6 } from 'node:net';

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The bucket an address is counted in: an IPv4 address as is (also when written IPv4-mapped, as dual-stack sockets
 * report it), an IPv6 address by its /64 network, the smallest block one subscriber gets (a client holding a /64
 * could otherwise use a fresh address for every request).
 */
export function clientAddressBucket(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  const unscoped = address.split('%')[0];
  if (!isIPv6(unscoped)) return address;
  return `${ipv6Groups(unscoped).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const toGroups = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [group];
          // A trailing dotted IPv4 (e.g. 64:ff9b::192.0.2.1) is two groups.
          const [a, b, c, d] = group.split('.').map(Number);
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
        });
  const [head, tail] = address.split('::');
  const groups =
    tail === undefined
      ? toGroups(head)
      : [...toGroups(head), ...Array(8 - toGroups(head).length - toGroups(tail).length).fill('0'), ...toGroups(tail)];
  return groups.map((group) => parseInt(group, 16).toString(16));
}
