// DNS_CHECK's messages (RFC 1035 section 4): the query keepalived 2.2.7 sends (check_dns.c
// dns_make_query: RD set, one question, QCLASS IN, no EDNS), a bounded reading of the reply
// that never throws on what the wire brings (a typed rejection with a reason instead), and
// the verdict on it: keepalived's rule (dns_recv_thread) and tandem's require_answer. Pure.
import type { CheckVerdict } from "./http-judge.ts";

/** RFC 1035 4.1.1. */
export const DNS_HEADER_BYTES = 12;
/** RFC 1035 2.3.4: a label, and a name on the wire (length bytes and the root's included). */
export const DNS_MAX_LABEL_BYTES = 63;
export const DNS_MAX_NAME_BYTES = 255;
export const DNS_CLASS_IN = 1;
/** A 255-byte name has at most 127 labels, so more pointers than that in one name are a loop or an attack. */
const MAX_POINTER_HOPS = 127;
/** CNAMEs followed from the asked name (resolvers stop near here too); bounds require_answer's work on a hostile reply. */
const MAX_CNAME_HOPS = 16;
/** RFC 1035 4.1.1 header flags. */
export const DNS_FLAG_QR = 0x8000;
export const DNS_FLAG_AA = 0x0400;
export const DNS_FLAG_TC = 0x0200;
export const DNS_FLAG_RD = 0x0100;
export const DNS_FLAG_RA = 0x0080;
export const DNS_TYPE_CNAME = 5;

/** check_dns.c DNS_TYPE: the types a DNS_CHECK may ask for (matched ignoring case, as strcasecmp does). */
export const DNS_CHECK_TYPES: Readonly<Record<string, number>> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, RRSIG: 46, DNSKEY: 48 };

/** RFC 1035 4.1.1 (0-5) and RFC 2136 2.2 (6-10). */
const RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];

export function dnsTypeCode(mnemonic: string): number | undefined {
  return DNS_CHECK_TYPES[mnemonic.toUpperCase()];
}

/** The mnemonic, or RFC 3597's TYPEnnn for a type keepalived's table does not know. */
export function dnsTypeName(code: number): string {
  return Object.entries(DNS_CHECK_TYPES).find(([, value]) => value === code)?.[0] ?? `TYPE${code}`;
}

export function dnsRcodeName(code: number): string {
  return RCODE_NAMES[code] ?? `RCODE${code}`;
}

export interface DnsQuery {
  /** The header's ID; keepalived takes random() afresh for every check. */
  id: number;
  /** As configured: labels split at every dot, a trailing dot allowed; "" and "." are the root. */
  name: string;
  type: number;
}

export interface DnsHeader {
  id: number;
  flags: number;
  qr: boolean;
  opcode: number;
  tc: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface DnsQuestion {
  /** Presentation form (RFC 1035 5.1): "www.example", "." for the root, odd bytes as \DDD. */
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord extends DnsQuestion {
  ttl: number;
  data: Uint8Array;
  /** A CNAME's target, read through the message's compression. */
  target?: string;
}

/** The question and the answer section; the authority and additional sections are not read (nothing is judged on them). */
export interface DnsMessage {
  header: DnsHeader;
  questions: DnsQuestion[];
  answers: DnsRecord[];
}

export type DnsNameRejection = "truncated" | "compression-loop" | "label-too-long" | "unknown-label-type" | "name-too-long";
/** What makes a datagram not the reply to this query: keepalived waits on for the one that is. */
export type DnsStrayRejection = "short-header" | "wrong-id" | "not-a-response";
export type DnsRejection = DnsStrayRejection | DnsNameRejection;

export type DnsReplyResult =
  | { ok: true; message: DnsMessage }
  /** header: set once the datagram is known to be the reply (its ID and QR): keepalived judges it by the header alone. */
  | { ok: false; rejection: DnsRejection; reason: string; header?: DnsHeader };

export function isStrayDatagram(result: DnsReplyResult): result is { ok: false; rejection: DnsStrayRejection; reason: string } {
  return !result.ok && (result.rejection === "short-header" || result.rejection === "wrong-id" || result.rejection === "not-a-response");
}

const utf8 = new TextEncoder();

/**
 * A configured name as dns_make_query writes it, split at every dot. keepalived refuses an
 * empty label when it reads the configuration, but writes a label over 63 bytes or a name over
 * 255 as they come (a malformed query); here they are refused.
 */
export function encodeDnsName(name: string): { ok: true; bytes: Uint8Array } | { ok: false; reason: string } {
  const text = name.endsWith(".") ? name.slice(0, -1) : name;
  const labels = text === "" ? [] : text.split(".");
  const out: number[] = [];
  for (const label of labels) {
    const bytes = utf8.encode(label);
    if (bytes.length === 0) return { ok: false, reason: `name ${name} has an empty label` };
    if (bytes.length > DNS_MAX_LABEL_BYTES)
      return { ok: false, reason: `name ${name}: label ${label.slice(0, 20)}... is ${bytes.length} bytes (at most ${DNS_MAX_LABEL_BYTES})` };
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  if (out.length > DNS_MAX_NAME_BYTES)
    return { ok: false, reason: `name ${name.slice(0, 40)}... is ${out.length} bytes on the wire (at most ${DNS_MAX_NAME_BYTES})` };
  return { ok: true, bytes: Uint8Array.from(out) };
}

/** dns_make_query: ID, RD only, QDCOUNT 1, the question (QCLASS IN). */
export function encodeDnsQuery(query: DnsQuery): { ok: true; bytes: Uint8Array } | { ok: false; reason: string } {
  if (!Number.isInteger(query.id) || query.id < 0 || query.id > 0xffff) return { ok: false, reason: `query id ${query.id} is not 0-65535` };
  if (!Number.isInteger(query.type) || query.type < 1 || query.type > 0xffff) return { ok: false, reason: `query type ${query.type} is not 1-65535` };
  const name = encodeDnsName(query.name);
  if (!name.ok) return name;
  const bytes = new Uint8Array(DNS_HEADER_BYTES + name.bytes.length + 4);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, query.id);
  view.setUint16(2, DNS_FLAG_RD);
  view.setUint16(4, 1);
  bytes.set(name.bytes, DNS_HEADER_BYTES);
  view.setUint16(DNS_HEADER_BYTES + name.bytes.length, query.type);
  view.setUint16(DNS_HEADER_BYTES + name.bytes.length + 2, DNS_CLASS_IN);
  return { ok: true, bytes };
}

/** One label in RFC 1035 5.1's presentation form: dots, backslashes and unprintable bytes escaped. */
function labelText(bytes: Uint8Array, from: number, length: number): string {
  let text = "";
  for (let i = from; i < from + length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x2e || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${String(byte).padStart(3, "0")}`;
  }
  return text;
}

type NameRead = { ok: true; name: string; next: number } | { ok: false; rejection: DnsNameRejection; reason: string };

/**
 * A name at `offset`, following compression pointers (RFC 1035 4.1.4). Each pointer must go
 * back before where the last one went (or the name began), so the walk always ends: a loop,
 * or a pointer forward, is refused. At most 255 bytes of name, as the RFC bounds it, and 127
 * pointers, so reading a name costs at most a few hundred steps whatever the message.
 */
function readName(bytes: Uint8Array, offset: number): NameRead {
  const labels: string[] = [];
  let position = offset;
  let limit = offset;
  let next: number | undefined;
  let wireBytes = 1;
  let hops = 0;
  for (;;) {
    if (position >= bytes.length) return { ok: false, rejection: "truncated", reason: "ends inside a name" };
    const length = bytes[position]!;
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (position + 1 >= bytes.length) return { ok: false, rejection: "truncated", reason: "ends inside a compression pointer" };
      const target = ((length & 0x3f) << 8) | bytes[position + 1]!;
      if (target >= limit)
        return {
          ok: false,
          rejection: "compression-loop",
          reason: `has a compression pointer at byte ${position} to byte ${target}, not back before ${limit} (a loop)`,
        };
      if (++hops > MAX_POINTER_HOPS) return { ok: false, rejection: "compression-loop", reason: `follows more than ${MAX_POINTER_HOPS} compression pointers` };
      next ??= position + 2;
      limit = position = target;
      continue;
    }
    if (kind === 0x40)
      return { ok: false, rejection: "label-too-long", reason: `has a label of ${length} bytes at byte ${position} (at most ${DNS_MAX_LABEL_BYTES})` };
    if (kind === 0x80) return { ok: false, rejection: "unknown-label-type", reason: `has an unknown label type 0x${length.toString(16)} at byte ${position}` };
    if (length === 0) return { ok: true, name: labels.length === 0 ? "." : labels.join("."), next: next ?? position + 1 };
    if (position + 1 + length > bytes.length) return { ok: false, rejection: "truncated", reason: "ends inside a label" };
    wireBytes += 1 + length;
    if (wireBytes > DNS_MAX_NAME_BYTES) return { ok: false, rejection: "name-too-long", reason: `has a name over ${DNS_MAX_NAME_BYTES} bytes` };
    labels.push(labelText(bytes, position + 1, length));
    position += 1 + length;
  }
}

function readHeader(view: DataView): DnsHeader {
  const flags = view.getUint16(2);
  return {
    id: view.getUint16(0),
    flags,
    qr: (flags & DNS_FLAG_QR) !== 0,
    opcode: (flags >> 11) & 0xf,
    tc: (flags & DNS_FLAG_TC) !== 0,
    rcode: flags & 0xf,
    qdcount: view.getUint16(4),
    ancount: view.getUint16(6),
    nscount: view.getUint16(8),
    arcount: view.getUint16(10),
  };
}

/**
 * The reply to `query`, read as far as the answer section. A datagram shorter than a header,
 * with another ID or without QR is not the reply (isStrayDatagram); anything else that does
 * not read carries its header. Work and memory are linear in the datagram's length.
 */
export function decodeDnsReply(bytes: Uint8Array, query: Pick<DnsQuery, "id">): DnsReplyResult {
  if (bytes.length < DNS_HEADER_BYTES)
    return { ok: false, rejection: "short-header", reason: `a datagram of ${bytes.length} bytes, shorter than a DNS header (12)` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(view);
  if (header.id !== query.id) return { ok: false, rejection: "wrong-id", reason: `a datagram with id ${header.id}, not the query's ${query.id}` };
  if (!header.qr) return { ok: false, rejection: "not-a-response", reason: "a datagram that is a query, not a response (QR clear)" };
  const fail = (rejection: DnsRejection, reason: string): DnsReplyResult => ({ ok: false, rejection, reason, header });
  let position = DNS_HEADER_BYTES;
  // Each question is at least 5 bytes and each record 11, so the counts cannot make the loops outrun the bytes.
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < header.qdcount; i++) {
    const name = readName(bytes, position);
    if (!name.ok) return fail(name.rejection, `the reply's question ${name.reason}`);
    if (name.next + 4 > bytes.length) return fail("truncated", "the reply ends inside its question");
    questions.push({ name: name.name, type: view.getUint16(name.next), class: view.getUint16(name.next + 2) });
    position = name.next + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < header.ancount; i++) {
    const which = `answer ${i + 1} of ${header.ancount}`;
    const name = readName(bytes, position);
    if (!name.ok) return fail(name.rejection, `the reply's ${which} ${name.reason}`);
    if (name.next + 10 > bytes.length) return fail("truncated", `the reply ends inside its ${which}`);
    const length = view.getUint16(name.next + 8);
    const dataAt = name.next + 10;
    if (dataAt + length > bytes.length) return fail("truncated", `the reply ends inside the data of its ${which}`);
    const record: DnsRecord = {
      name: name.name,
      type: view.getUint16(name.next),
      class: view.getUint16(name.next + 2),
      ttl: view.getUint32(name.next + 4),
      data: bytes.slice(dataAt, dataAt + length),
    };
    if (record.type === DNS_TYPE_CNAME) {
      const target = readName(bytes, dataAt);
      if (!target.ok || target.next > dataAt + length)
        return fail(target.ok ? "truncated" : target.rejection, `the reply's ${which}: its CNAME target ${target.ok ? "runs past its data" : target.reason}`);
      record.target = target.name;
    }
    answers.push(record);
    position = dataAt + length;
  }
  return { ok: true, message: { header, questions, answers } };
}

export interface DnsJudgeOptions {
  /** tandem's require_answer: an answer of the asked type for the asked name (through CNAMEs), not only NOERROR. */
  requireAnswer: boolean;
}

/** RFC 4343: names compare ignoring ASCII case (the presentation form escapes every other byte). */
const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The configured name as it reads back from the wire ("www.example", "." for the root). */
function presentationOf(name: string): string {
  const encoded = encodeDnsName(name);
  if (!encoded.ok) return name;
  const read = readName(encoded.bytes, 0);
  return read.ok ? read.name : name;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;

/**
 * keepalived's rule (dns_recv_thread): the reply to the query (same ID, QR set) passes when its
 * RCODE is 0, whatever else it holds: an empty answer, a truncated (TC) reply, even another
 * question or a body that does not read. NXDOMAIN, REFUSED, SERVFAIL fail. With require_answer
 * the reply must also read, ask the same question and answer it with a record of the type.
 */
export function judgeDnsReply(query: DnsQuery, reply: DnsReplyResult, options: DnsJudgeOptions): CheckVerdict {
  const header = reply.ok ? reply.message.header : reply.header;
  if (!header) return { ok: false, reason: reply.ok ? "no reply" : reply.reason };
  if (header.rcode !== 0) return { ok: false, reason: `reply code ${dnsRcodeName(header.rcode)}` };
  if (!options.requireAnswer) {
    if (!reply.ok) return { ok: true, detail: `reply code NOERROR (${reply.reason})` };
    return { ok: true, detail: `reply code NOERROR, ${plural(header.ancount, "answer")}` };
  }
  if (!reply.ok) return { ok: false, reason: reply.reason };
  const { questions, answers } = reply.message;
  const asked = presentationOf(query.name);
  const typeName = dnsTypeName(query.type);
  const question = questions[0];
  if (questions.length !== 1 || !question || !sameName(question.name, asked) || question.type !== query.type || question.class !== DNS_CLASS_IN) {
    const what = question ? `${question.name} ${dnsTypeName(question.type)}${question.class === DNS_CLASS_IN ? "" : ` class ${question.class}`}` : "none";
    return { ok: false, reason: `the reply answers another question (${what}${questions.length > 1 ? `, and ${questions.length - 1} more` : ""})` };
  }
  // The asked name and the names its CNAMEs lead to; each round adds one or stops.
  const names = [asked];
  for (let round = 0; round < Math.min(answers.length, MAX_CNAME_HOPS); round++) {
    const hop = answers.find(
      (r) =>
        r.type === DNS_TYPE_CNAME &&
        r.class === DNS_CLASS_IN &&
        r.target &&
        names.some((n) => sameName(n, r.name)) &&
        !names.some((n) => sameName(n, r.target!)),
    );
    if (!hop) break;
    names.push(hop.target!);
  }
  const matching = answers.filter((r) => r.type === query.type && r.class === DNS_CLASS_IN && names.some((n) => sameName(n, r.name)));
  if (matching.length === 0) {
    const truncated = header.tc ? " (the reply is truncated: TC set)" : "";
    return {
      ok: false,
      reason: `no ${typeName} record in the answer${answers.length > 0 ? ` (it has ${plural(answers.length, "other record")})` : ""}${truncated}`,
    };
  }
  return {
    ok: true,
    detail: `reply code NOERROR, ${plural(matching.length, `${typeName} record`)}${names.length > 1 ? ` via ${plural(names.length - 1, "CNAME")}` : ""}`,
  };
}
