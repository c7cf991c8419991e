import ipaddr from 'ipaddr.js';
import { NetError } from './errors.js';

/** An IP address in binary form, as parsed from any of its textual forms. */
export interface IpAddress {
  family: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  bytes: Uint8Array;
  /** The IPv6 zone id (`%eth0`), when the text carried one. */
  zoneId?: string;
}

/** Address ranges the guard refuses; `public` is everything else. */
export type AddressRange =
  | 'public'
  | 'loopback'
  | 'private'
  | 'cgn'
  | 'link_local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'unique_local'
  | 'site_local';

export interface AddressClass {
  range: AddressRange;
  blocked: boolean;
  /** Why the address is refused, for messages; empty for public addresses. */
  reason: string;
}

const DOTTED_QUAD_TAIL = /:((?:0|[1-9][0-9]{0,2})\.(?:0|[1-9][0-9]{0,2})\.(?:0|[1-9][0-9]{0,2})\.(?:0|[1-9][0-9]{0,2}))$/;

/**
 * An IPv6 literal with its trailing dotted quad rewritten as two hex groups.
 * ipaddr.js reads `::a.b.c.d` as IPv4-mapped and octal parts as decimal, so
 * the quad is checked here (strict dotted decimal, RFC 4291 §2.2) and handed
 * over in hex. Null when the text has a dot anywhere else.
 */
function withHexTail(text: string): string | null {
  if (!text.includes('.')) return text;
  const match = DOTTED_QUAD_TAIL.exec(text);
  if (!match) return null;
  const octets = match[1]!.split('.').map(Number);
  if (octets.some((octet) => octet > 255)) return null;
  const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
  return `${text.slice(0, match.index)}:${hex(octets[0]!, octets[1]!)}:${hex(octets[2]!, octets[3]!)}`;
}

/**
 * Parses a host as written in a URL or a config entry: IPv4 in any numeric
 * form `inet_aton` reads (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`,
 * one trailing dot), IPv6 with or without brackets and with an optional zone
 * id (`%25eth0` or `%eth0`). Returns null for a host name.
 */
export function parseHostAddress(host: string): IpAddress | null {
  let text = host.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes(':')) {
    const zoneAt = text.indexOf('%');
    // `%25` is the URL-escaped form of the `%` separator (RFC 6874).
    const zoneId = zoneAt >= 0 ? text.slice(zoneAt + 1).replace(/^25/, '') : undefined;
    const literal = withHexTail(zoneAt >= 0 ? text.slice(0, zoneAt) : text);
    if (literal === null || !ipaddr.IPv6.isValid(literal)) return null;
    const bytes = Uint8Array.from(ipaddr.IPv6.parse(literal).toByteArray());
    return zoneId === undefined ? { family: 6, bytes } : { family: 6, bytes, zoneId };
  }
  // One trailing dot is the DNS root, accepted by URL parsers (`127.0.0.1.`); a bare `0x` part is
  // zero to URL parsers, and ipaddr.js refuses it.
  const literal = (text.endsWith('.') && !text.endsWith('..') ? text.slice(0, -1) : text)
    .split('.')
    .map((part) => (/^0x$/i.test(part) ? '0' : part))
    .join('.');
  if (!ipaddr.IPv4.isValid(literal)) return null;
  return { family: 4, bytes: Uint8Array.from(ipaddr.IPv4.parse(literal).toByteArray()) };
}

/** Canonical text: dotted quad, or RFC 5952 compressed IPv6 (no zone). */
export function formatAddress(address: IpAddress): string {
  return ipaddr.fromByteArray(Array.from(address.bytes)).toString();
}

/** ipaddr.js range names the guard refuses, with the reason a message gives. */
const BLOCKED_RANGES: Readonly<Record<string, [AddressRange, string]>> = {
  'v4:unspecified': ['unspecified', 'an unspecified ("this network") address, 0.0.0.0/8'],
  'v4:private': ['private', 'a private (RFC 1918) address'],
  'v4:carrierGradeNat': ['cgn', 'a carrier-grade NAT (100.64.0.0/10) address'],
  'v4:loopback': ['loopback', 'a loopback address'],
  'v4:linkLocal': ['link_local', 'a link-local address (169.254.0.0/16, where cloud metadata services live)'],
  'v4:multicast': ['multicast', 'a multicast address'],
  'v4:broadcast': ['broadcast', 'the broadcast address'],
  'v6:unspecified': ['unspecified', 'the unspecified address ::'],
  'v6:loopback': ['loopback', 'the loopback address ::1'],
  'v6:linkLocal': ['link_local', 'a link-local address (fe80::/10)'],
  'v6:deprecatedSiteLocal': ['site_local', 'a site-local address (fec0::/10)'],
  'v6:uniqueLocal': ['unique_local', 'a unique-local address (fc00::/7)'],
  'v6:multicast': ['multicast', 'a multicast address'],
};

const PUBLIC: AddressClass = { range: 'public', blocked: false, reason: '' };

function classifyByRange(key: string): AddressClass {
  const blocked = BLOCKED_RANGES[key];
  return blocked ? { range: blocked[0], blocked: true, reason: blocked[1] } : PUBLIC;
}

const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/**
 * The IPv4 address an IPv6 address carries and that a gateway or dual-stack
 * socket would reach: IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96),
 * SIIT (::ffff:0:0:0/96), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4
 * (2002::/16) and Teredo clients (2001::/32, the client address inverted).
 */
function embeddedIpv4(address: ipaddr.IPv6): number[] | null {
  const b = address.toByteArray();
  switch (address.range() as string) {
    case 'ipv4Mapped':
    case 'rfc6145':
    case 'rfc6052':
      return b.slice(12);
    case '6to4':
      return b.slice(2, 6);
    case 'teredo':
      return b.slice(12).map((x) => x ^ 0xff);
    default:
      return address.match(IPV4_COMPATIBLE) ? b.slice(12) : null;
  }
}

function classifyV6(address: ipaddr.IPv6): AddressClass {
  const own = classifyByRange(`v6:${address.range()}`);
  if (own.blocked) return own;
  const v4 = embeddedIpv4(address);
  if (!v4) return PUBLIC;
  const inner = classifyByRange(`v4:${new ipaddr.IPv4(v4).range()}`);
  return inner.blocked ? { ...inner, reason: `${inner.reason}, embedded in an IPv6 address as ${v4.join('.')}` } : PUBLIC;
}

/** Classifies an address (parsed, or as text in any form `parseHostAddress` reads). */
export function classifyAddress(address: IpAddress | string): AddressClass {
  const parsed = typeof address === 'string' ? parseHostAddress(address) : address;
  if (!parsed) throw new NetError('invalid_argument', `"${String(address)}" is not an IP address; pass an IPv4 or IPv6 literal.`);
  const bytes = Array.from(parsed.bytes);
  return parsed.family === 4 ? classifyByRange(`v4:${new ipaddr.IPv4(bytes).range()}`) : classifyV6(new ipaddr.IPv6(bytes));
}
