// DNS_CHECK's codec and verdict: the query keepalived's dns_make_query writes, as golden bytes
// built by hand from RFC 1035 4.1; real replies of Debian's yadifa (test/fixtures/dns)
// judged by keepalived's rule (the RCODE alone) and by tandem's require_answer; and the
// replies that are not the reply, or do not read: another id, a query, a runt, a cut
// question, compression loops, over-long labels and names, garbage. Nothing here may throw.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DNS_CHECK_TYPES,
  decodeDnsReply,
  dnsTypeCode,
  encodeDnsName,
  encodeDnsQuery,
  isStrayDatagram,
  judgeDnsReply,
  type DnsQuery,
  type DnsReplyResult,
} from "../../../src/check/dns-message.ts";

interface Recorded {
  query: { id: number; name: string; type: string };
  queryHex: string;
  replyHex: string;
}
const fixture = JSON.parse(readFileSync(join(import.meta.dir, "../../fixtures/dns/yadifa-2.6.4-replies.json"), "utf8")) as {
  replies: Record<string, Recorded>;
};

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
function recorded(key: string): { query: DnsQuery; reply: Uint8Array } {
  const r = fixture.replies[key]!;
  return { query: { id: r.query.id, name: r.query.name, type: dnsTypeCode(r.query.type)! }, reply: hex(r.replyHex) };
}
const KEEPALIVED = { requireAnswer: false };
const REQUIRE_ANSWER = { requireAnswer: true };
function judged(key: string, options = KEEPALIVED) {
  const { query, reply } = recorded(key);
  return judgeDnsReply(query, decodeDnsReply(reply, query), options);
}
/** A copy of `bytes` with `edit` applied. */
function edited(bytes: Uint8Array, edit: (copy: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(copy);
  return copy;
}
function wireName(text: string): Uint8Array {
  const encoded = encodeDnsName(text);
  if (!encoded.ok) throw new Error(encoded.reason);
  return encoded.bytes;
}
/** A reply built by hand: names written whole (no compression), class IN, TTL 60. */
function builtReply(id: number, question: { name: string; type: number }, answers: { name: string; type: number; data: Uint8Array }[]): Uint8Array {
  const name = (text: string) => [...wireName(text)];
  const u16 = (value: number) => [value >> 8, value & 0xff];
  const bytes = [...u16(id), 0x81, 0x80, ...u16(1), ...u16(answers.length), 0, 0, 0, 0, ...name(question.name), ...u16(question.type), ...u16(1)];
  for (const answer of answers) bytes.push(...name(answer.name), ...u16(answer.type), ...u16(1), 0, 0, 0, 60, ...u16(answer.data.length), ...answer.data);
  return Uint8Array.from(bytes);
}
function rejection(result: DnsReplyResult) {
  return result.ok ? "read" : result.rejection;
}

describe("the query (check_dns.c dns_make_query)", () => {
  test("golden bytes built from RFC 1035 4.1: ID, only RD (0x0100), QDCOUNT 1, the labels, QTYPE, QCLASS IN", () => {
    const expected = hex(`
      4b41 0100 0001 0000 0000 0000
      03 777777 04 74657374 07 6578616d706c65 00
      0001 0001`);
    expect(encodeDnsQuery({ id: 0x4b41, name: "www.test.example", type: 1 })).toEqual({ ok: true, bytes: expected });
    // keepalived splits at every dot and ends with the root; a trailing dot writes the same.
    expect(encodeDnsQuery({ id: 0x4b41, name: "www.test.example.", type: 1 })).toEqual({ ok: true, bytes: expected });
  });

  test("the root (keepalived's default name, written '' in 2.2.7 and '.' in its manual) is the single zero byte; SOA is type 6", () => {
    const expected = hex("1234 0100 0001 0000 0000 0000 00 0006 0001");
    expect(encodeDnsQuery({ id: 0x1234, name: ".", type: 6 })).toEqual({ ok: true, bytes: expected });
    expect(encodeDnsQuery({ id: 0x1234, name: "", type: 6 })).toEqual({ ok: true, bytes: expected });
  });

  test("the recorded queries are what the encoder writes (the fixture's bytes went out as they are)", () => {
    for (const key of Object.keys(fixture.replies)) {
      const { query } = recorded(key);
      const encoded = encodeDnsQuery(query);
      expect(encoded.ok && toHex(encoded.bytes)).toBe(fixture.replies[key]!.queryHex);
    }
  });

  test("keepalived's type table, matched ignoring case", () => {
    expect(DNS_CHECK_TYPES).toEqual({ A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, RRSIG: 46, DNSKEY: 48 });
    expect(dnsTypeCode("aaaa")).toBe(28);
    expect(dnsTypeCode("PTR")).toBeUndefined();
  });

  test("names keepalived refuses (an empty label) or would write malformed (a label over 63, a name over 255) are refused", () => {
    expect(encodeDnsName("a..b")).toEqual({ ok: false, reason: "name a..b has an empty label" });
    expect(encodeDnsName(".a")).toEqual({ ok: false, reason: "name .a has an empty label" });
    expect(encodeDnsName(`${"x".repeat(64)}.example`)).toMatchObject({ ok: false, reason: expect.stringContaining("is 64 bytes (at most 63)") });
    expect(encodeDnsName(`${"x".repeat(63)}.example`).ok).toBe(true);
    const long = Array.from({ length: 4 }, () => "x".repeat(63)).join("."); // 4 * 64 + 1 = 257 bytes
    expect(encodeDnsName(long)).toMatchObject({ ok: false, reason: expect.stringContaining("is 257 bytes on the wire (at most 255)") });
    expect(encodeDnsName(long.slice(2)).ok).toBe(true); // 255
    expect(encodeDnsQuery({ id: 65536, name: ".", type: 1 })).toEqual({ ok: false, reason: "query id 65536 is not 0-65535" });
  });
});

describe("keepalived's verdict on yadifa's replies (dns_recv_thread: the reply's RCODE alone)", () => {
  test("NOERROR passes: an A, an SOA, a CNAME chain, and an empty answer (NODATA) too", () => {
    expect(judged("a")).toEqual({ ok: true, detail: "reply code NOERROR, 1 answer" });
    expect(judged("soa")).toEqual({ ok: true, detail: "reply code NOERROR, 1 answer" });
    expect(judged("cname-chain")).toEqual({ ok: true, detail: "reply code NOERROR, 2 answers" });
    expect(judged("nodata")).toEqual({ ok: true, detail: "reply code NOERROR, 0 answers" });
    expect(judged("large-txt")).toEqual({ ok: true, detail: "reply code NOERROR, 2 answers" });
  });

  test("any other RCODE fails, NXDOMAIN included; keepalived's default (the root's SOA) is refused by an authoritative-only server", () => {
    expect(judged("nxdomain")).toEqual({ ok: false, reason: "reply code NXDOMAIN" });
    expect(judged("refused")).toEqual({ ok: false, reason: "reply code REFUSED" });
    expect(judged("refused-root-soa")).toEqual({ ok: false, reason: "reply code REFUSED" });
    expect(judged("servfail")).toEqual({ ok: false, reason: "reply code SERVFAIL" });
  });

  test("keepalived compares no question: a NOERROR reply to another question passes without require_answer", () => {
    const { query, reply } = recorded("a");
    const other = { ...query, name: "ns1.test.example" };
    expect(judgeDnsReply(other, decodeDnsReply(reply, other), KEEPALIVED).ok).toBe(true);
  });

  test("the reply decodes: the question echoed, the A record's data", () => {
    const { query, reply } = recorded("a");
    const result = decodeDnsReply(reply, query);
    if (!result.ok) throw new Error(result.reason);
    expect(result.message.header).toMatchObject({ id: 0x4b41, qr: true, rcode: 0, tc: false, qdcount: 1, ancount: 1 });
    expect(result.message.questions).toEqual([{ name: "www.test.example", type: 1, class: 1 }]);
    expect(result.message.answers).toEqual([{ name: "www.test.example", type: 1, class: 1, ttl: 300, data: hex("0a630050") }]);
  });
});

describe("require_answer (tandem's): a record of the asked type for the asked name", () => {
  test("an A, an SOA, TXT records pass; an A reached through a CNAME passes", () => {
    expect(judged("a", REQUIRE_ANSWER)).toEqual({ ok: true, detail: "reply code NOERROR, 1 A record" });
    expect(judged("soa", REQUIRE_ANSWER)).toEqual({ ok: true, detail: "reply code NOERROR, 1 SOA record" });
    expect(judged("large-txt", REQUIRE_ANSWER)).toEqual({ ok: true, detail: "reply code NOERROR, 2 TXT records" });
    expect(judged("cname-chain", REQUIRE_ANSWER)).toEqual({ ok: true, detail: "reply code NOERROR, 1 A record via 1 CNAME" });
  });

  test("an empty answer fails; so does an RCODE as before", () => {
    expect(judged("nodata", REQUIRE_ANSWER)).toEqual({ ok: false, reason: "no AAAA record in the answer" });
    expect(judged("nxdomain", REQUIRE_ANSWER)).toEqual({ ok: false, reason: "reply code NXDOMAIN" });
  });

  test("the reply must answer the question asked; names compare ignoring case", () => {
    const { query, reply } = recorded("a");
    const other = { ...query, name: "ns1.test.example" };
    expect(judgeDnsReply(other, decodeDnsReply(reply, other), REQUIRE_ANSWER)).toEqual({
      ok: false,
      reason: "the reply answers another question (www.test.example A)",
    });
    const aaaa = { ...query, type: 28 };
    expect(judgeDnsReply(aaaa, decodeDnsReply(reply, aaaa), REQUIRE_ANSWER)).toEqual({
      ok: false,
      reason: "the reply answers another question (www.test.example A)",
    });
    const shouted = { ...query, name: "WWW.Test.Example." };
    expect(judgeDnsReply(shouted, decodeDnsReply(reply, shouted), REQUIRE_ANSWER).ok).toBe(true);
  });

  test("a CNAME alone, without the record it leads to, does not answer an A question", () => {
    const { query, reply } = recorded("cname-chain");
    // yadifa put the A of www first (its name "www" + a pointer at 36-41, its TYPE at 42); make it an AAAA.
    const withoutA = edited(reply, (b) => (b[43] = 28));
    const result = decodeDnsReply(withoutA, query);
    expect(result.ok && result.message.answers.map((r) => r.type)).toEqual([28, 5]);
    expect(judgeDnsReply(query, result, REQUIRE_ANSWER)).toEqual({ ok: false, reason: "no A record in the answer (it has 2 other records)" });
  });

  test("a truncated reply (TC set, no answers: what RFC 1035 servers send; yadifa never did) passes keepalived's rule only", () => {
    const { query, reply } = recorded("large-txt");
    const questionEnd = 12 + 1 + 3 + 1 + 4 + 1 + 7 + 1 + 4; // big.test.example TXT IN
    const truncated = edited(reply.slice(0, questionEnd), (b) => {
      b[2]! |= 0x02; // TC
      b[7] = 0; // ANCOUNT 0
    });
    const result = decodeDnsReply(truncated, query);
    expect(result.ok && result.message.header.tc).toBe(true);
    expect(judgeDnsReply(query, result, KEEPALIVED)).toEqual({ ok: true, detail: "reply code NOERROR, 0 answers" });
    expect(judgeDnsReply(query, result, REQUIRE_ANSWER)).toEqual({ ok: false, reason: "no TXT record in the answer (the reply is truncated: TC set)" });
  });
});

describe("datagrams that are not the reply: keepalived waits on past them", () => {
  const { query, reply } = recorded("a");

  test("another id, a query (QR clear), anything shorter than a header (keepalived's sizeof(r_header) is a pointer's 8 bytes: tandem wants 12)", () => {
    const wrongId = decodeDnsReply(
      edited(reply, (b) => (b[1] = 0x42)),
      query,
    );
    expect(wrongId).toEqual({ ok: false, rejection: "wrong-id", reason: "a datagram with id 19266, not the query's 19265" });
    const notResponse = decodeDnsReply(
      edited(reply, (b) => (b[2]! &= 0x7f)),
      query,
    );
    expect(notResponse).toMatchObject({ ok: false, rejection: "not-a-response" });
    for (const length of [0, 1, 7, 8, 11]) {
      expect(decodeDnsReply(reply.slice(0, length), query)).toEqual({
        ok: false,
        rejection: "short-header",
        reason: `a datagram of ${length} bytes, shorter than a DNS header (12)`,
      });
    }
    for (const stray of [wrongId, notResponse, decodeDnsReply(reply.slice(0, 8), query)]) expect(isStrayDatagram(stray)).toBe(true);
    expect(isStrayDatagram(decodeDnsReply(reply, query))).toBe(false);
  });
});

describe("replies that do not read (bounded, typed, never a throw)", () => {
  const { query, reply } = recorded("a");
  // Offsets in this reply: the question's name at 12, its QTYPE at 30; the answer's name (a pointer to 12) at 34.

  test("cut inside the question or an answer: keepalived looks at the header only (NOERROR passes); require_answer fails", () => {
    const cut = decodeDnsReply(reply.slice(0, 20), query);
    expect(cut).toMatchObject({ ok: false, rejection: "truncated", reason: "the reply's question ends inside a label", header: { rcode: 0 } });
    expect(judgeDnsReply(query, cut, KEEPALIVED)).toEqual({ ok: true, detail: "reply code NOERROR (the reply's question ends inside a label)" });
    expect(judgeDnsReply(query, cut, REQUIRE_ANSWER)).toEqual({ ok: false, reason: "the reply's question ends inside a label" });
    expect(decodeDnsReply(reply.slice(0, 32), query)).toMatchObject({ rejection: "truncated", reason: "the reply ends inside its question" });
    expect(decodeDnsReply(reply.slice(0, 40), query)).toMatchObject({ rejection: "truncated", reason: "the reply ends inside its answer 1 of 1" });
    expect(decodeDnsReply(reply.slice(0, 48), query)).toMatchObject({ rejection: "truncated", reason: "the reply ends inside the data of its answer 1 of 1" });
    const cutNxdomain = recorded("nxdomain");
    const result = decodeDnsReply(cutNxdomain.reply.slice(0, 14), cutNxdomain.query);
    expect(judgeDnsReply(cutNxdomain.query, result, KEEPALIVED)).toEqual({ ok: false, reason: "reply code NXDOMAIN" });
  });

  test("a compression pointer to itself, or forward, is a loop", () => {
    const self = decodeDnsReply(
      edited(reply, (b) => (b[35] = 34)),
      query,
    );
    expect(self).toMatchObject({
      ok: false,
      rejection: "compression-loop",
      reason: "the reply's answer 1 of 1 has a compression pointer at byte 34 to byte 34, not back before 34 (a loop)",
    });
    const forward = decodeDnsReply(
      edited(reply, (b) => (b[35] = 40)),
      query,
    );
    expect(rejection(forward)).toBe("compression-loop");
    // A label, then a pointer back to it: backwards, yet a loop ("a.a.a..."): a pointer must go back before the name's start.
    const endless = new Uint8Array([...reply.slice(0, 12), 0x01, 0x61, 0xc0, 0x0c, 0, 1, 0, 1]);
    endless[7] = 0; // no answers
    expect(decodeDnsReply(endless, query)).toMatchObject({
      rejection: "compression-loop",
      reason: "the reply's question has a compression pointer at byte 14 to byte 12, not back before 12 (a loop)",
    });
  });

  test("compression pointers chained past 127 (each going back, no loop) are refused: reading a name stays bounded", () => {
    // Answer 1's name "a." at 12; each next answer's name a pointer to the one before, so answer k follows k-1 pointers.
    const bytes: number[] = [...reply.slice(0, 4), 0, 0, 0, 200, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 0];
    for (let k = 2; k <= 200; k++) {
      const previous = 12 + (k === 2 ? 0 : 3 + 10 + (k - 3) * 12);
      bytes.push(0xc0 | (previous >> 8), previous & 0xff, 0, 1, 0, 1, 0, 0, 0, 60, 0, 0);
    }
    expect(decodeDnsReply(Uint8Array.from(bytes), query)).toMatchObject({
      rejection: "compression-loop",
      reason: "the reply's answer 129 of 200 follows more than 127 compression pointers",
    });
    expect(decodeDnsReply(Uint8Array.from(bytes.slice(0, 12 + 13 + 126 * 12)).fill(127, 7, 8), query).ok).toBe(true);
  });

  test("require_answer follows CNAMEs from the asked name, up to 16 of them", () => {
    const a = Uint8Array.from([10, 99, 0, 80]);
    const chain = (length: number) =>
      builtReply(7, { name: "c0.test.example", type: 1 }, [
        ...Array.from({ length }, (_, i) => ({ name: `c${i}.test.example`, type: 5, data: wireName(`c${i + 1}.test.example`) })),
        { name: `c${length}.test.example`, type: 1, data: a },
      ]);
    const query = { id: 7, name: "c0.test.example", type: 1 };
    expect(judgeDnsReply(query, decodeDnsReply(chain(16), query), REQUIRE_ANSWER)).toEqual({
      ok: true,
      detail: "reply code NOERROR, 1 A record via 16 CNAMEs",
    });
    expect(judgeDnsReply(query, decodeDnsReply(chain(17), query), REQUIRE_ANSWER)).toEqual({
      ok: false,
      reason: "no A record in the answer (it has 18 other records)",
    });
    // An A for a name the chain does not reach is not the answer.
    const elsewhere = builtReply(7, { name: "c0.test.example", type: 1 }, [{ name: "elsewhere.test.example", type: 1, data: a }]);
    expect(judgeDnsReply(query, decodeDnsReply(elsewhere, query), REQUIRE_ANSWER)).toEqual({
      ok: false,
      reason: "no A record in the answer (it has 1 other record)",
    });
  });

  test("a label length over 63 (0x40-0x7f), an unknown label type (0x80-0xbf), a name over 255 bytes", () => {
    expect(
      decodeDnsReply(
        edited(reply, (b) => (b[12] = 0x40)),
        query,
      ),
    ).toMatchObject({
      rejection: "label-too-long",
      reason: "the reply's question has a label of 64 bytes at byte 12 (at most 63)",
    });
    expect(
      decodeDnsReply(
        edited(reply, (b) => (b[12] = 0x83)),
        query,
      ),
    ).toMatchObject({ rejection: "unknown-label-type" });
    const label = [63, ...new Array<number>(63).fill(0x61)];
    const longName = new Uint8Array([...reply.slice(0, 12), ...label, ...label, ...label, ...label, 0, 0, 1, 0, 1]);
    longName[7] = 0; // no answers
    expect(decodeDnsReply(longName, query)).toMatchObject({ rejection: "name-too-long", reason: "the reply's question has a name over 255 bytes" });
  });

  test("odd bytes in a name read as RFC 1035 escapes, so they cannot pass for the name asked", () => {
    const dotted = decodeDnsReply(
      edited(reply, (b) => (b[14] = 0x2e)),
      query,
    ); // "w.w" as one label
    expect(dotted.ok && dotted.message.questions[0]!.name).toBe("w\\.w.test.example");
    expect(judgeDnsReply(query, dotted, REQUIRE_ANSWER)).toEqual({ ok: false, reason: "the reply answers another question (w\\.w.test.example A)" });
  });

  test("garbage and every one-byte corruption of every recorded reply: a result, never a throw", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    const inputs: { query: DnsQuery; bytes: Uint8Array }[] = [];
    for (const key of Object.keys(fixture.replies)) {
      const r = recorded(key);
      for (let i = 0; i < Math.min(r.reply.length, 200); i++)
        for (const value of [0x00, 0x3f, 0x40, 0xc0, 0xff, random()]) inputs.push({ query: r.query, bytes: edited(r.reply, (b) => (b[i] = value)) });
      for (let length = 0; length < Math.min(r.reply.length, 200); length++) inputs.push({ query: r.query, bytes: r.reply.slice(0, length) });
    }
    for (let n = 0; n < 2000; n++) {
      const bytes = Uint8Array.from({ length: 12 + (random() % 80) }, random);
      bytes.set([0x4b, 0x41, 0x80 | bytes[2]!], 0); // our id, QR set: read beyond the header
      inputs.push({ query: recorded("a").query, bytes });
    }
    let read = 0;
    for (const { query: q, bytes } of inputs) {
      const result = decodeDnsReply(bytes, q);
      if (result.ok) read++;
      for (const options of [KEEPALIVED, REQUIRE_ANSWER]) {
        const verdict = judgeDnsReply(q, result, options);
        expect(verdict.ok ? verdict.detail : verdict.reason).toBeTruthy();
      }
    }
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(inputs.length);
  });
});
