// Batches: many IPVS requests in one sendmsg, each acknowledged, each answer mapped back to
// its request by sequence number (the kernel answers the messages of a datagram in order).
import { describe, expect, test } from "bun:test";
import { encodeBatch, matchBatch } from "../../../src/ipvs/ipvs-batch.ts";
import { encodeDestinationReply } from "../../../src/ipvs/ipvs-replies.ts";
import { encodeIpvsRequest, type IpvsRequest } from "../../../src/ipvs/ipvs-requests.ts";
import { IPVS_CMD_NEW_SERVICE } from "../../../src/ipvs/ip-vs-constants.ts";
import { EEXIST, ESRCH } from "../../../src/netlink/linux-errno.ts";
import { encodeAck, encodeDone } from "../../../src/netlink/netlink-acks.ts";
import { concatBytes, decodeMessages, NLM_F_ACK } from "../../../src/netlink/netlink-codec.ts";
import { ZERO_COUNTERS } from "../../../src/ipvs/ipvs-stats-attributes.ts";
import { answersTo, hex, ipvsFamilyId, loadExchange, messageBytes, theRequest } from "./support/captures.ts";
import { destination, service, tcp } from "./support/table-values.ts";

const vip = tcp("10.0.0.1", 80);
const requests: IpvsRequest[] = [
  { kind: "new-service", service: service(vip, "wrr") },
  { kind: "new-destination", service: vip, destination: destination("10.0.0.2", 80, "masquerade", 3) },
  { kind: "get-destinations", service: vip },
  { kind: "del-service", service: tcp("10.9.9.9", 80) },
];

describe("encodeBatch", () => {
  test("consecutive sequence numbers, each message as it would be sent alone, all asking for an ack", () => {
    const batch = encodeBatch(0x20, requests, 100, 42);
    expect(batch.seqs).toEqual([100, 101, 102, 103]);
    expect(hex(batch.bytes)).toBe(hex(concatBytes(requests.map((request, i) => encodeIpvsRequest(0x20, request, 100 + i, 42)))));
    const { messages, problem } = decodeMessages(batch.bytes);
    expect(problem).toBeUndefined();
    expect(messages.map((m) => [m.header.seq, m.header.flags & NLM_F_ACK])).toEqual(batch.seqs.map((seq) => [seq, NLM_F_ACK]));
  });

  test("sequence numbers wrap at 2^32 as nlmsg_seq does", () => {
    expect(encodeBatch(0x20, requests.slice(0, 3), 0xffffffff).seqs).toEqual([0xffffffff, 0, 1]);
  });
});

describe("matchBatch", () => {
  test("each answer goes to its request: acks, an EEXIST, a dump's parts, an ESRCH", () => {
    const batch = encodeBatch(0x20, requests, 7, 42);
    const sent = decodeMessages(batch.bytes).messages.map(messageBytes);
    const part = (address: string) =>
      encodeDestinationReply(
        { familyId: 0x20, seq: 9, portId: 42, dumpPart: true },
        {
          ...destination(address, 80, "masquerade", 1),
          stats: { ...ZERO_COUNTERS, activeConnections: 0, inactiveConnections: 0, persistentConnections: 0 },
        },
      );
    // Two datagrams, as the kernel may split its answers.
    const first = concatBytes([encodeAck(sent[0]!, 0), encodeAck(sent[1]!, EEXIST), part("10.0.0.2")]);
    const second = concatBytes([part("10.0.0.3"), encodeDone(9, 42), encodeAck(sent[3]!, ESRCH)]);
    const { results, unmatched, problems } = matchBatch(batch, requests, [first, second]);
    expect(problems).toEqual([]);
    expect(unmatched).toEqual([]);
    expect(results.map((r) => [r.request.kind, r.outcome.status, r.outcome.replies.length])).toEqual([
      ["new-service", "ok", 0],
      ["new-destination", "failed", 0],
      ["get-destinations", "ok", 2],
      ["del-service", "failed", 0],
    ]);
    expect(results[1]!.outcome).toMatchObject({ error: { name: "EEXIST" } });
    expect(results[3]!.outcome).toMatchObject({ error: { name: "ESRCH" } });
  });

  test("the appliance kernel's own EEXIST, mapped back to our request of the same number", () => {
    const exchange = loadExchange("new-service-exists");
    const captured = theRequest(exchange, IPVS_CMD_NEW_SERVICE).message;
    const ours: IpvsRequest[] = [{ kind: "new-service", service: service(vip, "wrr") }];
    const batch = encodeBatch(ipvsFamilyId(exchange), ours, captured.header.seq, captured.header.pid);
    const answers = exchange.transfers.filter((t) => t.direction === "received" && t.messages.some((m) => answersTo(exchange, captured).includes(m)));
    const { results } = matchBatch(
      batch,
      ours,
      answers.map((t) => t.bytes),
    );
    expect(results[0]!.outcome).toMatchObject({ status: "failed", error: { errno: EEXIST, name: "EEXIST" } });
  });

  test("requests not yet answered stay pending", () => {
    const batch = encodeBatch(0x20, requests, 1);
    const { results } = matchBatch(batch, requests, []);
    expect(results.every((r) => r.outcome.status === "pending")).toBe(true);
  });
});
