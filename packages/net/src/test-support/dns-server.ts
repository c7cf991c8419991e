import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { parseHostAddress } from '../address.js';

export interface DnsRecords {
  A?: string[];
  AAAA?: string[];
}

/** Fixed records, or one set per query in turn (the last repeats): a name that rebinds between lookups. */
export type DnsAnswers = DnsRecords | readonly DnsRecords[];

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, for `dnsServers`. */
  server: string;
  /** Queries received, as `<name> <A|AAAA>`. */
  queries: string[];
  close(): Promise<void>;
}

const TYPES: Record<number, keyof DnsRecords> = { 1: 'A', 28: 'AAAA' };

/**
 * A minimal authoritative DNS server over UDP on 127.0.0.1: answers A and AAAA
 * queries from `records` with TTL 0, NXDOMAIN for unknown names. Closes itself
 * after `lifetimeMs`.
 */
export function startDnsServer(records: Record<string, DnsAnswers>, lifetimeMs = 60_000): Promise<TestDnsServer> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  const recordsFor = (name: string, type: keyof DnsRecords | undefined): DnsRecords | undefined => {
    const answers = records[name];
    if (!Array.isArray(answers)) return answers as DnsRecords | undefined;
    const asked = queries.filter((query) => query === `${name} ${type}`).length;
    return answers[Math.min(asked, answers.length) - 1];
  };
  socket.on('message', (query, peer) => {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset]! > 0) {
      const length = query[offset]!;
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
      offset += 1 + length;
    }
    const questionEnd = offset + 5;
    const name = labels.join('.').toLowerCase();
    const type = TYPES[query.readUInt16BE(offset + 1)];
    if (type) queries.push(`${name} ${type}`);
    const known = recordsFor(name, type);
    const answers = (type && known?.[type]) || [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((text) => {
      const rdata = Buffer.from(parseHostAddress(text)!.bytes);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(type === 'A' ? 1 : 28, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(0, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    socket.send(Buffer.concat([header, query.subarray(12, questionEnd), ...rrs]), peer.port, peer.address);
  });
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      socket.close(() => resolve());
    });
    return closed;
  };
  const timer = setTimeout(close, lifetimeMs);
  timer.unref();
  return new Promise((resolve) => {
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address() as AddressInfo;
      resolve({ server: `127.0.0.1:${port}`, queries, close });
    });
  });
}
