// Batches split into datagrams: order kept, byte and count limits kept, a lone oversized
// request still sent, sequence numbers consecutive across chunks; answers turned into results.
import { describe, expect, test } from "bun:test";
import { acksThatFit, ANSWER_RECEIVE_COST_BYTES, batchChunks, resultOf, seqOf } from "../../../src/netlink/netlink-batching.ts";
import { EEXIST } from "../../../src/netlink/linux-errno.ts";
import { decodeMessages, encodeMessage, NLM_F_ACK, NLM_F_REQUEST } from "../../../src/netlink/netlink-codec.ts";
import type { RequestOutcome } from "../../../src/netlink/netlink-acks.ts";
import { CLOCK_EVERY } from "../../../src/common/time-slices.ts";

/** A request of `length` bytes (a multiple of 4, at least 16) carrying its index in the payload. */
const request = (length: number) => (index: number, seq: number) => {
  const payload = new Uint8Array(length - 16);
  if (payload.length >= 4) new DataView(payload.buffer).setUint32(0, index, true);
  return encodeMessage({ type: 0x20, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, payload);
};

const indexesIn = (bytes: Uint8Array) => decodeMessages(bytes).messages.map((m) => new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(0, true));

describe("batchChunks", () => {
  test("packs requests in order up to the byte limit, with consecutive sequence numbers", () => {
    const chunks = [...batchChunks(10, request(100), 500, { maxBytes: 350, maxMessages: 100 })];
    expect(chunks.map((c) => c.start)).toEqual([0, 3, 6, 9]);
    expect(chunks.map((c) => c.bytes.length)).toEqual([300, 300, 300, 100]);
    expect(chunks.flatMap((c) => indexesIn(c.bytes))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(chunks.flatMap((c) => c.seqs)).toEqual(Array.from({ length: 10 }, (_, i) => 500 + i));
    // The seqs listed are the ones inside the bytes.
    for (const chunk of chunks) expect(decodeMessages(chunk.bytes).messages.map((m) => m.header.seq)).toEqual(chunk.seqs);
  });

  test("a chunk that fits exactly is not split", () => {
    expect([...batchChunks(4, request(100), 0, { maxBytes: 400, maxMessages: 100 })].map((c) => c.seqs.length)).toEqual([4]);
  });

  test("the message limit caps a chunk whose bytes would still fit", () => {
    const chunks = [...batchChunks(7, request(20), 0, { maxBytes: 1 << 20, maxMessages: 3 })];
    expect(chunks.map((c) => c.seqs.length)).toEqual([3, 3, 1]);
  });

  test("a request larger than the limit goes alone, neither dropped nor merged", () => {
    const sizes = [40, 400, 40, 40];
    const chunks = [...batchChunks(4, (index, seq) => request(sizes[index]!)(index, seq), 0, { maxBytes: 100, maxMessages: 10 })];
    expect(chunks.map((c) => indexesIn(c.bytes))).toEqual([[0], [1], [2, 3]]);
  });

  test("sequence numbers wrap at 2^32", () => {
    const chunks = [...batchChunks(3, request(20), 0xfffffffe, { maxBytes: 40, maxMessages: 10 })];
    expect(chunks.map((c) => c.seqs)).toEqual([[0xfffffffe, 0xffffffff], [0]]);
    expect(seqOf(0xffffffff, 2)).toBe(1);
  });

  test("encodes lazily: nothing past the chunk being taken", () => {
    const encoded: number[] = [];
    const chunks = batchChunks(100, (index, seq) => (encoded.push(index), request(40)(index, seq)), 0, { maxBytes: 120, maxMessages: 100 });
    chunks.next();
    // The fourth is encoded to learn it does not fit, and is carried into the next chunk.
    expect(encoded).toEqual([0, 1, 2, 3]);
    expect(indexesIn(chunks.next().value!.bytes)).toEqual([3, 4, 5]);
    expect(encoded).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test("with a time budget, a chunk closes once encoding it took that long, looking at the clock every CLOCK_EVERY requests", () => {
    let nowMs = 0;
    let looks = 0;
    // Each request takes 1/8 ms to encode: CLOCK_EVERY of them take 2 ms.
    const slow = (index: number, seq: number) => {
      nowMs += 2 / CLOCK_EVERY;
      return request(20)(index, seq);
    };
    const count = 5 * CLOCK_EVERY;
    const budget = { nowMs: () => (looks++, nowMs), maxMs: 3 };
    const chunks = [...batchChunks(count, slow, 0, { maxBytes: 1 << 20, maxMessages: 1000 }, budget)];
    // 2 ms at the first look: on; 4 ms at the second: closed.
    expect(chunks.map((c) => c.seqs.length)).toEqual([2 * CLOCK_EVERY, 2 * CLOCK_EVERY, CLOCK_EVERY]);
    // A look at each chunk's start (3), and at each CLOCK_EVERY-th request of a chunk that could go on (2 + 2): 7 for 80 requests.
    expect(looks).toBe(7);
  });

  test("the kernel's time per request counts against the budget too, as the sender learns it between chunks", () => {
    // Encoding is free here; the kernel is said to take 1 ms a request, then 2 ms: chunks of 5, then of 3 (5 ms each with the kernel's share).
    let kernelMs = 1;
    const chunks = batchChunks(11, request(20), 0, { maxBytes: 1 << 20, maxMessages: 100 }, { nowMs: () => 0, maxMs: 5, kernelMsPerMessage: () => kernelMs });
    const first = chunks.next().value!;
    kernelMs = 2;
    expect([first, ...chunks].map((c) => c.seqs.length)).toEqual([5, 3, 3]);
  });

  test("an empty batch has no chunks; limits must be positive", () => {
    expect([...batchChunks(0, request(20), 0, { maxBytes: 100, maxMessages: 10 })]).toEqual([]);
    expect(() => [...batchChunks(1, request(20), 0, { maxBytes: 0, maxMessages: 10 })]).toThrow(RangeError);
    expect(() => [...batchChunks(1, request(20), 0, { maxBytes: 10, maxMessages: 0 })]).toThrow(RangeError);
  });
});

describe("acksThatFit", () => {
  test("as many answers as the granted buffer holds at their price, at least one", () => {
    expect(acksThatFit(425_984)).toBe(Math.floor(425_984 / ANSWER_RECEIVE_COST_BYTES));
    expect(acksThatFit(8 * 1024 * 1024)).toBe(2048);
    expect(acksThatFit(100)).toBe(1);
  });
});

describe("resultOf", () => {
  const base = { seq: 1, replies: [], interrupted: false };
  test("an ack is ok with its replies, a refusal is its error", () => {
    expect(resultOf({ ...base, status: "ok" }, { cause: "timeout", afterMs: 5 })).toEqual({ ok: true, replies: [] });
    const refused: RequestOutcome = { ...base, status: "failed", error: { errno: EEXIST, name: "EEXIST" } };
    expect(resultOf(refused, { cause: "timeout", afterMs: 5 })).toEqual({ ok: false, error: { errno: EEXIST, name: "EEXIST" } });
  });

  test("no answer: ETIMEDOUT after the deadline, ENOBUFS when the kernel dropped it; both say it may have been done", () => {
    const timedOut = resultOf({ ...base, status: "pending" }, { cause: "timeout", afterMs: 5000 });
    expect(timedOut).toMatchObject({ ok: false, error: { name: "ETIMEDOUT", errno: 110 } });
    expect(!timedOut.ok && timedOut.error.message).toContain("within 5000 ms; the request may or may not have been done");
    const dropped = resultOf(undefined, { cause: "overrun" });
    expect(dropped).toMatchObject({ ok: false, error: { name: "ENOBUFS", errno: 105 } });
    expect(!dropped.ok && dropped.error.message).toContain("may or may not have been done");
  });
});
