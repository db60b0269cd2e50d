import { isIPv6 } from 'node:net';

/**
 * The subject an address-keyed limit counts: an IPv4 address as it is (also when it arrives
 * IPv4-mapped, `::ffff:a.b.c.d`), an IPv6 address by its /64, the smallest block one subscriber
 * is given: counted per address, one IPv6 host would have 2^64 budgets.
 */
export function clientSubject(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, `::` filled in, zone removed. */
function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.split('%')[0].split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => (Number.parseInt(group, 16) || 0).toString(16));
}
