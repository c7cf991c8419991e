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

const IPV4_PART = /^(?:0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/;

/**
 * Parses an IPv4 address the way URL parsers and `inet_aton` do: one to four
 * dot-separated parts, each decimal, octal (leading 0) or hex (0x), the last
 * part filling the remaining bytes (`127.1`, `2130706433`, `0x7f000001`,
 * `0177.0.0.1`). One trailing dot is accepted, as in `127.0.0.1.`.
 */
function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return null;
    let value: number;
    if (/^0[xX]/.test(part)) value = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (part.length > 1 && part.startsWith('0')) value = Number.parseInt(part.slice(1), 8);
    else value = Number.parseInt(part, 10);
    numbers.push(value);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  const bytes = new Uint8Array(4);
  numbers.forEach((n, i) => {
    bytes[i] = n;
  });
  for (let i = 3, rest = last; i >= numbers.length; i--, rest = Math.floor(rest / 256)) bytes[i] = rest % 256;
  return bytes;
}

/** Strict dotted-decimal, the only IPv4 form allowed inside an IPv6 literal. */
function parseDottedQuad(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const quad = parseDottedQuad(piece);
        if (!quad) return null;
        out.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  // A dotted quad is only valid at the very end of the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

/**
 * Parses a host as written in a URL or a config entry: IPv4 in any numeric
 * form, IPv6 with or without brackets and with an optional zone id (`%25eth0`
 * or `%eth0`). Returns null for a host name.
 */
export function parseHostAddress(host: string): IpAddress | null {
  let text = host.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes(':')) {
    const zoneAt = text.indexOf('%');
    // `%25` is the URL-escaped form of the `%` separator (RFC 6874).
    const zoneId = zoneAt >= 0 ? text.slice(zoneAt + 1).replace(/^25/, '') : undefined;
    const bytes = parseIpv6(zoneAt >= 0 ? text.slice(0, zoneAt) : text);
    if (!bytes) return null;
    return zoneId === undefined ? { family: 6, bytes } : { family: 6, bytes, zoneId };
  }
  const bytes = parseIpv4(text);
  return bytes ? { family: 4, bytes } : null;
}

/** Canonical text: dotted quad, or RFC 5952 compressed IPv6 (no zone). */
export function formatAddress(address: IpAddress): string {
  const b = address.bytes;
  if (address.family === 4) return Array.from(b).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (b[i * 2]! << 8) | b[i * 2 + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function inV4(b: Uint8Array, prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((b[byte]! & mask) !== (prefix[byte]! & mask)) return false;
  }
  return true;
}

const IPV4_RANGES: ReadonlyArray<[readonly number[], number, AddressRange, string]> = [
  [[0, 0, 0, 0], 8, 'unspecified', 'an unspecified ("this network") address, 0.0.0.0/8'],
  [[10, 0, 0, 0], 8, 'private', 'a private (RFC 1918) address'],
  [[100, 64, 0, 0], 10, 'cgn', 'a carrier-grade NAT (100.64.0.0/10) address'],
  [[127, 0, 0, 0], 8, 'loopback', 'a loopback address'],
  [[169, 254, 0, 0], 16, 'link_local', 'a link-local address (169.254.0.0/16, where cloud metadata services live)'],
  [[172, 16, 0, 0], 12, 'private', 'a private (RFC 1918) address'],
  [[192, 168, 0, 0], 16, 'private', 'a private (RFC 1918) address'],
  [[224, 0, 0, 0], 4, 'multicast', 'a multicast address'],
  [[255, 255, 255, 255], 32, 'broadcast', 'the broadcast address'],
];

function classifyV4(b: Uint8Array): AddressClass {
  for (const [prefix, bits, range, reason] of IPV4_RANGES) {
    if (inV4(b, prefix, bits)) return { range, blocked: true, reason };
  }
  return { range: 'public', blocked: false, reason: '' };
}

/**
 * The IPv4 address an IPv6 address carries and that a gateway or dual-stack
 * socket would reach: IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96),
 * SIIT (::ffff:0:0:0/96), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4
 * (2002::/16) and Teredo clients (2001::/32).
 */
function embeddedIpv4(b: Uint8Array): Uint8Array | null {
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  const is = (i: number, ...values: number[]) => values.every((v, k) => b[i + k] === v);
  if (zeros(0, 10) && is(10, 0xff, 0xff)) return b.slice(12);
  if (zeros(0, 12)) return b.slice(12);
  if (zeros(0, 8) && is(8, 0xff, 0xff, 0, 0)) return b.slice(12);
  if (is(0, 0x00, 0x64, 0xff, 0x9b) && zeros(4, 12)) return b.slice(12);
  if (is(0, 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01)) return b.slice(12);
  if (is(0, 0x20, 0x02)) return b.slice(2, 6);
  if (is(0, 0x20, 0x01, 0x00, 0x00)) return b.slice(12).map((x) => x ^ 0xff);
  return null;
}

function classifyV6(b: Uint8Array): AddressClass {
  if (b.every((x) => x === 0)) return { range: 'unspecified', blocked: true, reason: 'the unspecified address ::' };
  if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) {
    return { range: 'loopback', blocked: true, reason: 'the loopback address ::1' };
  }
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) {
    return { range: 'link_local', blocked: true, reason: 'a link-local address (fe80::/10)' };
  }
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) {
    return { range: 'site_local', blocked: true, reason: 'a site-local address (fec0::/10)' };
  }
  if ((b[0]! & 0xfe) === 0xfc) return { range: 'unique_local', blocked: true, reason: 'a unique-local address (fc00::/7)' };
  if (b[0] === 0xff) return { range: 'multicast', blocked: true, reason: 'a multicast address' };
  const v4 = embeddedIpv4(b);
  if (v4) {
    const inner = classifyV4(v4);
    if (inner.blocked) {
      return { ...inner, reason: `${inner.reason}, embedded in an IPv6 address as ${formatAddress({ family: 4, bytes: v4 })}` };
    }
  }
  return { range: 'public', blocked: false, reason: '' };
}

/** Classifies an address (parsed, or as text in any form `parseHostAddress` reads). */
export function classifyAddress(address: IpAddress | string): AddressClass {
  const parsed = typeof address === 'string' ? parseHostAddress(address) : address;
  if (!parsed) throw new NetError('invalid_argument', `"${String(address)}" is not an IP address; pass an IPv4 or IPv6 literal.`);
  return parsed.family === 4 ? classifyV4(parsed.bytes) : classifyV6(parsed.bytes);
}
