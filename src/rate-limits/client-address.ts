import { isIPv6 } from 'node:net';

/** An address-keyed limit's subject: IPv4 as is (also IPv4-mapped), IPv6 by its /64, or one host would have 2^64 budgets. */
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
