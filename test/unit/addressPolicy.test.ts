import { describe, expect, it } from 'vitest';
import { classifyAddress, parseAllowedNetworks } from '../../src/core/delivery/addressPolicy.ts';

// Pure classification: nothing here opens a connection.
describe('address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::1', '6to4'],
  ])('refuses %s (%s)', (address, range) => {
    const verdict = classifyAddress(address);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toContain(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])('allows public %s', (address) =>
    expect(classifyAddress(address).allowed).toBe(true),
  );

  it('refuses what is not an address at all', () => {
    expect(classifyAddress('example.com').allowed).toBe(false);
    expect(classifyAddress('').allowed).toBe(false);
  });

  it('lets an allowed network through, and only that network', () => {
    const allowed = parseAllowedNetworks('127.0.0.2/32, 10.1.0.0/16, fd00::/8');
    expect(classifyAddress('127.0.0.2', allowed).allowed).toBe(true);
    expect(classifyAddress('127.0.0.1', allowed).allowed).toBe(false);
    expect(classifyAddress('10.1.200.3', allowed).allowed).toBe(true);
    expect(classifyAddress('10.2.0.1', allowed).allowed).toBe(false);
    expect(classifyAddress('fd00::5', allowed).allowed).toBe(true);
    expect(classifyAddress('::ffff:127.0.0.2', allowed)).toEqual({ allowed: true, address: '127.0.0.2' });
  });

  it('rejects a malformed allow-list', () => {
    expect(parseAllowedNetworks('')).toEqual([]);
    expect(() => parseAllowedNetworks('10.0.0.0')).toThrow(/CIDR/);
    expect(() => parseAllowedNetworks('10.0.0.0/40')).toThrow(/CIDR/);
  });
});
