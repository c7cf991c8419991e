import type { EnvelopeCode } from '@osr-host/abi';
import { promises as dns } from 'node:dns';
import { type AddressRange, classifyAddress, formatAddress, type IpAddress, parseHostAddress } from './address.js';
import { NetError } from './errors.js';

export interface GuardOptions {
  /** Operator allow-list: `host:port` entries (`127.0.0.1:8080`, `[::1]:8443`, `db.internal:5432`). */
  allow?: readonly string[];
  /** Origin of the host's own plugin-route server (`http://127.0.0.1:1337`); always reachable. */
  pluginRouteOrigin?: string;
  /** Resolve names through these DNS servers (`1.1.1.1`, `127.0.0.1:5353`) instead of the system resolver. */
  dnsServers?: readonly string[];
}

/** Why a URL was refused: a blocked address range, or one of the URL-level rules. */
export type BlockReason = Exclude<AddressRange, 'public'> | 'scheme' | 'localhost_name' | 'zone_id';

/** A refused URL or target, shaped like the host-API error envelope. */
export interface GuardRefusal {
  ok: false;
  error: Extract<EnvelopeCode, 'ssrf_blocked' | 'invalid_request' | 'dns_failure'>;
  /** Machine-readable reason; only for `ssrf_blocked`. */
  reason?: BlockReason;
  message: string;
}

/** A URL that passed the static check; its name (if any) still has to be resolved. */
export interface GuardTarget {
  ok: true;
  url: URL;
  /** Host without brackets: an IP literal in canonical form, or a lower-cased name. */
  host: string;
  port: number;
  /** The literal address, or null when `host` is a name. */
  address: IpAddress | null;
  /** True when the allow-list or the plugin-route origin admits this host and port outright. */
  allowListed: boolean;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type ResolveOutcome = { ok: true; addresses: ResolvedAddress[] } | GuardRefusal;

const LOCALHOST_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback', 'localhost.localdomain']);

function defaultPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

function hostKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Canonical host text used for allow-list comparison. */
function canonicalHost(host: string): { host: string; address: IpAddress | null } {
  const address = parseHostAddress(host);
  if (address && !address.zoneId) return { host: formatAddress(address), address };
  return { host: host.toLowerCase().replace(/\.$/, ''), address: null };
}

function parseAllowEntry(entry: string): string {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(entry.trim());
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65535) {
    throw new NetError(
      'invalid_argument',
      `Allow-list entry "${entry}" is not HOST:PORT; write it as 127.0.0.1:8080, [::1]:8080 or name.example:443.`,
    );
  }
  const rawHost = match[1]!.replace(/^\[|\]$/g, '');
  const { host, address } = canonicalHost(rawHost);
  if (rawHost.includes(':') && !address) {
    throw new NetError('invalid_argument', `Allow-list entry "${entry}" has an invalid IPv6 address; fix the address.`);
  }
  if (!address && !/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(host)) {
    throw new NetError('invalid_argument', `Allow-list entry "${entry}" has an invalid host name; use letters, digits, "-" and ".".`);
  }
  return hostKey(host, port);
}

function refuse(target: string, reason: BlockReason, why: string): GuardRefusal {
  return {
    ok: false,
    error: 'ssrf_blocked',
    reason,
    message: `Requests to ${target} are blocked (SSRF protection): ${why}.`,
  };
}

/**
 * The SSRF guard: a static check of a URL (`checkUrl`), then a check of every
 * address its name resolves to (`resolveTarget`). Connect only to the addresses
 * `resolveTarget` returns; that pins the connection to what was checked.
 */
export class SsrfGuard {
  private readonly allowed: ReadonlySet<string>;
  private readonly routeOrigin: string | null;
  private readonly resolver: dns.Resolver | null;

  constructor(options: GuardOptions = {}) {
    this.allowed = new Set((options.allow ?? []).map(parseAllowEntry));
    this.routeOrigin = null;
    if (options.pluginRouteOrigin !== undefined) {
      const origin = URL.canParse(options.pluginRouteOrigin) ? new URL(options.pluginRouteOrigin).origin : 'null';
      if (origin === 'null' || !/^https?:/.test(origin)) {
        throw new NetError(
          'invalid_argument',
          `pluginRouteOrigin "${options.pluginRouteOrigin}" is not an http(s) origin; pass e.g. http://127.0.0.1:1337.`,
        );
      }
      this.routeOrigin = origin;
    }
    this.resolver = null;
    if (options.dnsServers?.length) {
      this.resolver = new dns.Resolver({ timeout: 2000, tries: 2 });
      this.resolver.setServers([...options.dnsServers]);
    }
  }

  /** Checks the URL text alone: scheme, host form, literal addresses, localhost names. */
  checkUrl(text: string): GuardTarget | GuardRefusal {
    if (!URL.canParse(text)) {
      // WHATWG URLs cannot carry IPv6 zone ids, but other parsers accept them; name it.
      if (/^[a-z][a-z0-9+.-]*:[^[]*\[[^\]]*%[^\]]*\]/i.test(text)) {
        return refuse(text, 'zone_id', 'IPv6 zone identifiers address a local interface and are not allowed');
      }
      return { ok: false, error: 'invalid_request', message: `url is not a valid absolute URL: ${text}` };
    }
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return refuse(text, 'scheme', 'only http and https URLs are allowed');
    }
    const port = defaultPort(url);
    const { host, address } = canonicalHost(url.hostname.replace(/^\[|\]$/g, ''));
    const target: GuardTarget = { ok: true, url, host, port, address, allowListed: false };
    if (url.origin === this.routeOrigin || this.allowed.has(hostKey(host, port))) {
      return { ...target, allowListed: true };
    }
    if (address) {
      const verdict = classifyAddress(address);
      return verdict.blocked ? refuse(url.host, verdict.range as BlockReason, `${host} is ${verdict.reason}`) : target;
    }
    if (LOCALHOST_NAMES.has(host) || host.endsWith('.localhost')) {
      return refuse(url.host, 'localhost_name', `${host} always names this machine`);
    }
    return target;
  }

  /**
   * Resolves the target's name and checks every address it resolves to; one
   * blocked address refuses the whole request.
   */
  async resolveTarget(target: GuardTarget): Promise<ResolveOutcome> {
    if (target.address) return { ok: true, addresses: [{ address: target.host, family: target.address.family }] };
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.lookup(target.host);
    } catch (cause) {
      const detail = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
      return { ok: false, error: 'dns_failure', message: `Could not resolve ${target.host} (${detail}).` };
    }
    for (const { address } of addresses) {
      if (target.allowListed || this.allowed.has(hostKey(address, target.port))) continue;
      const verdict = classifyAddress(address);
      if (verdict.blocked) {
        return refuse(target.url.host, verdict.range as BlockReason, `${target.host} resolves to ${address}, ${verdict.reason}`);
      }
    }
    return { ok: true, addresses };
  }

  private async lookup(name: string): Promise<ResolvedAddress[]> {
    const canonical = (address: string, family: 4 | 6): ResolvedAddress => {
      const parsed = parseHostAddress(address);
      return { address: parsed ? formatAddress(parsed) : address, family };
    };
    if (!this.resolver) {
      const found = await dns.lookup(name, { all: true, verbatim: true });
      return found.map((a) => canonical(a.address, a.family === 6 ? 6 : 4));
    }
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(name), this.resolver.resolve6(name)]);
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value.map((a) => canonical(a, 4)) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((a) => canonical(a, 6)) : []),
    ];
    if (addresses.length === 0) {
      const failure = [v4, v6].find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw failure?.reason ?? Object.assign(new Error(`${name} has no addresses`), { code: 'ENODATA' });
    }
    return addresses;
  }
}

/** One-off static check of a URL (no DNS); build an `SsrfGuard` once to check many. */
export function checkUrl(url: string, options: GuardOptions = {}): GuardTarget | GuardRefusal {
  return new SsrfGuard(options).checkUrl(url);
}
