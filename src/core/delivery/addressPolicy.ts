import ipaddr from 'ipaddr.js';

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses `HOOKPOST_ALLOWED_NETWORKS`: a comma-separated CIDR list ("127.0.0.0/8, ::1/128"). */
export function parseAllowedNetworks(value: string | undefined): Cidr[] {
  if (!value?.trim()) return [];
  return value.split(',').map((part) => {
    try {
      return ipaddr.parseCIDR(part.trim());
    } catch {
      throw new Error(`"${part.trim()}" is not a CIDR range such as 10.0.0.0/8`);
    }
  });
}

export type AddressVerdict = { allowed: true; address: string } | { allowed: false; address: string; reason: string };

/**
 * Whether the worker may connect to this address: only public unicast, unless an allowed network
 * covers it. Loopback, private, link-local (cloud metadata included), CGNAT, multicast, unspecified,
 * reserved and IPv6 equivalents are refused; an IPv4-mapped IPv6 address is judged as its IPv4 self.
 * Pure: it never connects anywhere.
 */
export function classifyAddress(raw: string, allowedNetworks: Cidr[] = []): AddressVerdict {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(raw.replace(/^\[|\]$/g, ''));
  } catch {
    return { allowed: false, address: raw, reason: 'not an IP address' };
  }
  const address = addr.toString();
  const allowListed = allowedNetworks.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
  if (allowListed) return { allowed: true, address };
  const range = addr.range();
  if (range === 'unicast') return { allowed: true, address };
  return { allowed: false, address, reason: `${address} is a ${range} address` };
}
