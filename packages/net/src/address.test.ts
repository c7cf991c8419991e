import { describe, expect, it } from 'vitest';
import { classifyAddress, formatAddress, NetError, parseHostAddress } from './index.js';

const text = (host: string) => {
  const parsed = parseHostAddress(host);
  return parsed ? formatAddress(parsed) : null;
};

describe('parseHostAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['10.1.258', '10.1.1.2'],
    ['0x7f.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0x7f.0x', '127.0.0.0'],
    ['0', '0.0.0.0'],
    ['4294967295', '255.255.255.255'],
  ])('reads IPv4 form %s as %s', (input, expected) => {
    expect(text(input)).toBe(expected);
  });

  it.each([
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1'],
    ['[::ffff:7f00:1]', '::ffff:7f00:1'],
    ['::127.0.0.1', '::7f00:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['FE80::1%25eth0', 'fe80::1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('reads IPv6 form %s as %s', (input, expected) => {
    expect(text(input)).toBe(expected);
  });

  it('keeps the zone id apart from the address', () => {
    expect(parseHostAddress('[fe80::1%25eth0]')?.zoneId).toBe('eth0');
    expect(parseHostAddress('fe80::1%lo')?.zoneId).toBe('lo');
  });

  it.each(['example.com', '256.0.0.1', '4294967296', '1.2.3.4.5', '08.0.0.1', '1::2::3', '1:2:3:4:5:6:7:8:9', ':::', '::1.2.3', '::0177.0.0.1', 'g::1', ''])(
    'reads %j as no address',
    (input) => {
      expect(parseHostAddress(input)).toBeNull();
    },
  );
});

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.255.255.255', 'private'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.0', 'cgn'],
    ['100.127.255.255', 'cgn'],
    ['169.254.169.254', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link_local'],
    ['fec0::1', 'site_local'],
    ['fc00::1', 'unique_local'],
    ['fdff::1', 'unique_local'],
    ['ff05::2', 'multicast'],
    ['::ffff:192.168.0.1', 'private'],
    ['::10.0.0.1', 'private'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['64:ff9b:1::10.0.0.1', 'private'],
    ['2002:a00:1::', 'private'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
  ])('classifies %s as %s', (address, range) => {
    expect(classifyAddress(address)).toMatchObject({ range, blocked: true });
  });

  it.each(['100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '8.8.8.8', '240.0.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2002:808:808::'])(
    'passes public %s',
    (address) => {
      expect(classifyAddress(address)).toEqual({ range: 'public', blocked: false, reason: '' });
    },
  );

  it('says where an embedded IPv4 address came from', () => {
    expect(classifyAddress('::ffff:169.254.169.254').reason).toMatch(/metadata.*embedded in an IPv6 address as 169\.254\.169\.254/);
  });

  it('throws NetError for text that is not an address', () => {
    expect(() => classifyAddress('example.com')).toThrow(NetError);
  });
});
