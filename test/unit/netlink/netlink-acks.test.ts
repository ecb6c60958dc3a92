// Acks and errors: the kernel's NLMSG_ERROR and NLMSG_DONE as typed values, matched to
// requests by sequence number; and encodeAck/encodeDone against the kernel's own bytes.
import { describe, expect, test } from "bun:test";
import { EEXIST, ENOENT, EOPNOTSUPP, ESRCH } from "../../../src/netlink/linux-errno.ts";
import { decodeAckOrError, describeNetlinkError, encodeAck, encodeDone, matchAcks } from "../../../src/netlink/netlink-acks.ts";
import { concatBytes, decodeMessages, encodeMessage, NLMSG_DONE, NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_REQUEST } from "../../../src/netlink/netlink-codec.ts";
import {
  answersTo,
  hex,
  ipvsRequests,
  loadExchange,
  messageBytes,
  receivedMessages,
  sentMessages,
  theRequest,
  type Exchange,
} from "../ipvs/support/captures.ts";

/** The request of `cmd` and the NLMSG_ERROR the kernel answered it with. */
function errorExchange(exchange: Exchange, cmd: number) {
  const request = theRequest(exchange, cmd).message;
  const answer = answersTo(exchange, request).find((m) => m.header.type === 2)!;
  return { request, answer };
}

describe("NLMSG_ERROR from the appliance kernel", () => {
  test("a success ack is capped: errno 0 and only the request's header", () => {
    const { request, answer } = errorExchange(loadExchange("new-service-tcp-wrr"), 1);
    expect(decodeAckOrError(answer)).toEqual({ ok: true, request: request.header });
  });

  test("refusals carry their errno by name", () => {
    const cases: [string, number, number, string][] = [
      ["new-service-exists", 1, EEXIST, "EEXIST"],
      ["del-dest-missing", 7, ENOENT, "ENOENT"],
      ["del-service-missing", 3, ESRCH, "ESRCH"],
      ["del-daemon-none", 10, ESRCH, "ESRCH"],
      ["new-service-sip-pe", 1, ENOENT, "ENOENT"],
    ];
    for (const [name, cmd, errno, errnoName] of cases) {
      const { request, answer } = errorExchange(loadExchange(name), cmd);
      const decoded = decodeAckOrError(answer);
      expect(decoded).toEqual({ ok: false, error: { errno, name: errnoName, request: request.header } });
    }
  });

  test("the kernel's extended-ack text and the request are kept (host kernel, rtnetlink)", () => {
    const host = loadExchange("host-error-extended-ack");
    const request = sentMessages(host)[0]!;
    // iproute2 leaves nlmsg_pid 0; the kernel answers to its port id.
    const answer = receivedMessages(host)
      .filter((m) => m.header.seq === request.header.seq)
      .at(-1)!;
    const decoded = decodeAckOrError(answer);
    expect(decoded).toEqual({ ok: false, error: { errno: EOPNOTSUPP, name: "EOPNOTSUPP", message: "Unknown device type", request: request.header } });
    if (!("rejected" in decoded) && !decoded.ok) expect(describeNetlinkError(decoded.error)).toBe('EOPNOTSUPP (errno 95): kernel says "Unknown device type"');
  });

  test("not an error message, or a truncated one: a rejection", () => {
    const done = decodeMessages(encodeDone(1, 2)).messages[0]!;
    expect(decodeAckOrError(done)).toEqual({ rejected: "message type 3 is not NLMSG_ERROR" });
    const short = decodeMessages(encodeMessage({ type: 2, flags: 0, seq: 1 }, new Uint8Array(2))).messages[0]!;
    expect(decodeAckOrError(short)).toEqual({ rejected: "NLMSG_ERROR needs 4 bytes of payload, got 2" });
  });
});

describe("encodeAck and encodeDone follow netlink_ack's rules, byte for byte", () => {
  test("a success ack, an uncapped error and an extended-ack error as the kernels sent them", () => {
    const cases: [Exchange, number, number][] = [
      [loadExchange("new-service-tcp-wrr"), 1, 0],
      [loadExchange("del-dest-missing"), 7, ENOENT],
      [loadExchange("new-service-exists"), 1, EEXIST],
    ];
    for (const [exchange, cmd, errno] of cases) {
      const { request, answer } = errorExchange(exchange, cmd);
      expect(hex(encodeAck(messageBytes(request), errno))).toBe(hex(messageBytes(answer)));
    }
    const host = loadExchange("host-error-extended-ack");
    const request = sentMessages(host)[0]!;
    const answer = host.transfers.at(-1)!.messages[0]!;
    const ack = encodeAck(messageBytes(request), EOPNOTSUPP, { portId: answer.header.pid, extAck: { message: "Unknown device type" } });
    expect(hex(ack)).toBe(hex(messageBytes(answer)));
  });

  test("capAck echoes only the header of a refused request", () => {
    const request = encodeMessage({ type: 0x20, flags: NLM_F_REQUEST, seq: 5, pid: 9 }, new Uint8Array(40));
    const ack = decodeMessages(encodeAck(request, ESRCH, { capAck: true })).messages[0]!;
    expect(ack.header).toMatchObject({ type: 2, flags: 0x100, seq: 5, pid: 9, length: 36 });
  });

  test("a dump's NLMSG_DONE", () => {
    const list = loadExchange("list-numeric");
    const dump = ipvsRequests(list).find((r) => r.cmd === 4)!.message;
    const done = answersTo(list, dump).find((m) => m.header.type === NLMSG_DONE)!;
    expect(hex(encodeDone(done.header.seq, done.header.pid))).toBe(hex(messageBytes(done)));
  });
});

describe("matchAcks: answers back to their requests", () => {
  test("a whole ipvsadm -L -n session from the kernel: every request accounted for", () => {
    const list = loadExchange("list-numeric");
    const seqsAndPids = sentMessages(list).map((m) => m.header);
    // ipvsadm used several sockets (same seqs, other port ids): match per socket.
    for (const pid of new Set(seqsAndPids.map((h) => h.pid))) {
      const datagrams = list.transfers.filter((t) => t.direction === "received" && t.messages.every((m) => m.header.pid === pid)).map((t) => t.bytes);
      const seqs = seqsAndPids.filter((h) => h.pid === pid).map((h) => h.seq);
      const { outcomes, unmatched, problems } = matchAcks(datagrams, seqs);
      expect(problems).toEqual([]);
      expect(unmatched).toEqual([]);
      for (const seq of seqs) {
        const outcome = outcomes.get(seq)!;
        const request = sentMessages(list).find((m) => m.header.seq === seq && m.header.pid === pid)!;
        const cmd = request.payload[0];
        // GET_INFO's ack comes after the reply ipvsadm stops reading at: it stays pending here.
        if (request.header.type !== 0x10 && cmd === 15) expect(outcome).toMatchObject({ status: "pending", replies: [{}] });
        else expect(outcome.status).toBe("ok");
      }
    }
    const dumpSocket = sentMessages(list).find((m) => m.header.type === 0x20 && m.payload[0] === 4)!.header.pid;
    const datagrams = list.transfers.filter((t) => t.direction === "received" && t.messages[0]!.header.pid === dumpSocket).map((t) => t.bytes);
    const dumpSeq = sentMessages(list).find((m) => m.header.pid === dumpSocket && m.payload[0] === 4)!.header.seq;
    expect(matchAcks(datagrams).outcomes.get(dumpSeq)).toMatchObject({ status: "ok", interrupted: false, replies: new Array(7).fill(expect.anything()) });
  });

  test("a batch: an error in the middle fails only its own request, later ones still answer", () => {
    const requests = [1, 2, 3, 4].map((seq) => encodeMessage({ type: 0x20, flags: NLM_F_REQUEST, seq, pid: 77 }, new Uint8Array(4)));
    const answers = concatBytes([
      encodeAck(requests[0]!, 0, { portId: 77 }),
      encodeAck(requests[1]!, EEXIST, { portId: 77 }),
      encodeAck(requests[2]!, 0, { portId: 77 }),
    ]);
    const { outcomes, problems } = matchAcks([answers], [1, 2, 3, 4]);
    expect(problems).toEqual([]);
    expect([...outcomes.values()].map((o) => o.status)).toEqual(["ok", "failed", "ok", "pending"]);
    expect(outcomes.get(2)).toMatchObject({ status: "failed", error: { errno: EEXIST, name: "EEXIST" } });
  });

  test("answers for other sequence numbers, or after the final one, are unmatched", () => {
    const request = encodeMessage({ type: 0x20, flags: NLM_F_REQUEST, seq: 10, pid: 1 }, new Uint8Array(4));
    const stray = encodeMessage({ type: 0x20, flags: NLM_F_REQUEST, seq: 99, pid: 1 }, new Uint8Array(4));
    const { outcomes, unmatched } = matchAcks([concatBytes([encodeAck(request, 0), encodeAck(stray, 0), encodeAck(request, 0)])], [10]);
    expect(outcomes.get(10)?.status).toBe("ok");
    expect(unmatched.map((m) => m.header.seq)).toEqual([99, 10]);
  });

  test("a dump that raced with a change is flagged; a failed DONE fails the request", () => {
    const part = encodeMessage({ type: 0x20, flags: NLM_F_MULTI | NLM_F_DUMP_INTR, seq: 3, pid: 1 }, new Uint8Array(4));
    const { outcomes } = matchAcks([concatBytes([part, encodeDone(3, 1)])]);
    expect(outcomes.get(3)).toMatchObject({ status: "ok", interrupted: true, replies: [{ header: { seq: 3 } }] });
    expect(matchAcks([encodeDone(4, 1, ENOENT)]).outcomes.get(4)).toMatchObject({ status: "failed", error: { errno: ENOENT, name: "ENOENT" } });
  });

  test("a truncated datagram keeps what it could read and says why it stopped", () => {
    const request = encodeMessage({ type: 0x20, flags: NLM_F_REQUEST, seq: 1, pid: 1 }, new Uint8Array(4));
    const whole = concatBytes([encodeAck(request, 0), encodeAck(request, EEXIST)]);
    const { outcomes, problems } = matchAcks([whole.subarray(0, 60)], [1]);
    expect(outcomes.get(1)?.status).toBe("ok");
    expect(problems).toEqual(["message at offset 36 has nlmsg_len 40 with 24 bytes left"]);
  });
});
