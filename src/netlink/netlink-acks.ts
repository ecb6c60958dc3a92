// Answers to a batch of netlink requests: NLMSG_ERROR (an ack, or an errno with the kernel's
// extended-ack text) and NLMSG_DONE as typed values, matched back to each request by its
// sequence number, with the data messages (a GET's reply, a dump's parts) that came before.
// Also the kernel's side (netlink_ack's rules), so fakes and tests can answer in bytes. Pure.
import { errnoName } from "./linux-errno.ts";
import {
  attributeString,
  attributeU32,
  concatBytes,
  decodeAck,
  decodeDoneErrno,
  decodeHeader,
  encodeMessage,
  getI32,
  getU16,
  getU32,
  messageAt,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  nlmsgAlign,
  type NetlinkHeader,
  type NetlinkMessage,
  type Rejection,
  walkMessages,
} from "./netlink-codec.ts";

/** A request the kernel refused. */
export interface NetlinkError {
  /** Positive errno. */
  errno: number;
  /** "EEXIST", "ENOENT", ... (errnoName). */
  name: string;
  /** NLMSGERR_ATTR_MSG: the kernel's own words, when the socket asked for extended acks. */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: where in the request the offending attribute starts. */
  offendingOffset?: number;
  /** The header of the refused request, echoed by the kernel. */
  request?: NetlinkHeader;
}

export type AckOrError = { ok: true; request?: NetlinkHeader } | { ok: false; error: NetlinkError };

/** An NLMSG_ERROR message: a plain ack (errno 0) or a typed error. */
export function decodeAckOrError(message: NetlinkMessage): AckOrError | Rejection {
  if (message.header.type !== NLMSG_ERROR) return { rejected: `message type ${message.header.type} is not NLMSG_ERROR` };
  const ack = decodeAck(message);
  if (!ack) return { rejected: `NLMSG_ERROR needs 4 bytes of payload, got ${message.payload.length}` };
  if (ack.errno === 0) return { ok: true, request: ack.request };
  const error: NetlinkError = { errno: ack.errno, name: errnoName(ack.errno) };
  if (ack.message !== undefined) error.message = ack.message;
  if (ack.offendingOffset !== undefined) error.offendingOffset = ack.offendingOffset;
  if (ack.request) error.request = ack.request;
  return { ok: false, error };
}

/** "EEXIST (errno 17)", with the kernel's message when it gave one. */
export function describeNetlinkError(error: NetlinkError): string {
  return `${error.name} (errno ${error.errno})${error.message ? `: kernel says "${error.message}"` : ""}`;
}

interface OutcomeBase {
  seq: number;
  /** Data messages for this request, in order: a GET's reply, a dump's parts. */
  replies: NetlinkMessage[];
  /** NLM_F_DUMP_INTR on a part: the table changed during the dump, which may be inconsistent. */
  interrupted: boolean;
}

/** What became of one request: no final answer yet, acknowledged (or a dump done), or refused. */
export type RequestOutcome =
  (OutcomeBase & { status: "pending" }) | (OutcomeBase & { status: "ok" }) | (OutcomeBase & { status: "failed"; error: NetlinkError });

export interface AckMatch {
  /** One entry per sequence number asked about (or seen, when none were given), in that order. */
  outcomes: Map<number, RequestOutcome>;
  /** Messages for no request of this batch, or after their request's final answer. */
  unmatched: NetlinkMessage[];
  /** Malformed input: truncated buffers, unreadable errors, NLMSG_OVERRUN. */
  problems: string[];
}

/**
 * Splits received datagrams into messages and files each under its request's sequence
 * number: NLMSG_ERROR ends a request (ack or error), NLMSG_DONE ends a dump (a dump gets no
 * ack of its own, even with NLM_F_ACK), anything else is a reply. Never throws.
 */
export function matchAcks(datagrams: readonly Uint8Array[], seqs?: readonly number[]): AckMatch {
  const outcomes = new Map<number, RequestOutcome>();
  for (const seq of seqs ?? []) outcomes.set(seq >>> 0, { seq: seq >>> 0, status: "pending", replies: [], interrupted: false });
  const unmatched: NetlinkMessage[] = [];
  const problems: string[] = [];
  // Headers are read in place: a batch's answers are thousands of plain acks, and an object for
  // each (header, message, payload view) cost more than matching them.
  const offsets: number[] = [];
  for (const datagram of datagrams) {
    offsets.length = 0;
    const problem = walkMessages(datagram, (offset) => offsets.push(offset));
    if (problem) problems.push(problem);
    for (const offset of offsets) {
      const type = getU16(datagram, offset + 4);
      const flags = getU16(datagram, offset + 6);
      const seq = getU32(datagram, offset + 8);
      if (type === NLMSG_NOOP) continue;
      if (type === NLMSG_OVERRUN) {
        problems.push(`NLMSG_OVERRUN for seq ${seq}: the kernel dropped messages`);
        continue;
      }
      let outcome = outcomes.get(seq);
      if (!outcome && !seqs) outcomes.set(seq, (outcome = { seq, status: "pending", replies: [], interrupted: false }));
      if (!outcome || outcome.status !== "pending") {
        unmatched.push(messageAt(datagram, offset));
        continue;
      }
      const { replies, interrupted } = outcome;
      if (type === NLMSG_ERROR) {
        // Nearly all are plain acks (error 0): known by their first int, with no need to read the request they echo.
        const answer: AckOrError | Rejection = isPlainAck(datagram, offset) ? { ok: true } : decodeAckOrError(messageAt(datagram, offset));
        if ("rejected" in answer) problems.push(`seq ${seq}: ${answer.rejected}`);
        else if (answer.ok) outcomes.set(seq, { seq, status: "ok", replies, interrupted });
        else outcomes.set(seq, { seq, status: "failed", replies, interrupted, error: answer.error });
      } else if (type === NLMSG_DONE) {
        const errno = decodeDoneErrno(messageAt(datagram, offset));
        outcomes.set(
          seq,
          errno === 0 ? { seq, status: "ok", replies, interrupted } : { seq, status: "failed", replies, interrupted, error: { errno, name: errnoName(errno) } },
        );
      } else {
        outcome.replies.push(messageAt(datagram, offset));
        if (flags & NLM_F_DUMP_INTR) outcome.interrupted = true;
      }
    }
  }
  return { outcomes, unmatched, problems };
}

/** The NLMSG_ERROR at `offset` has error 0 (its payload's first int): what decodeAckOrError reads as { ok: true }. */
function isPlainAck(datagram: Uint8Array, offset: number): boolean {
  return getU32(datagram, offset) >= NLMSG_HDRLEN + 4 && getI32(datagram, offset + NLMSG_HDRLEN) === 0;
}

export interface AckOptions {
  /** The requester's port id (the kernel's NETLINK_CB(skb).portid); defaults to the request's nlmsg_pid. */
  portId?: number;
  /** NETLINK_CAP_ACK on the requester's socket: errors echo only the request's header. */
  capAck?: boolean;
  /** Extended-ack attributes, sent when the requester set NETLINK_EXT_ACK. */
  extAck?: { message?: string; offendingOffset?: number };
}

/**
 * The kernel's NLMSG_ERROR for `request` (one whole message), as netlink_ack() builds it:
 * a success ack always echoes only the header (NLM_F_CAPPED); an error echoes the whole
 * request unless the socket asked for capped acks.
 */
export function encodeAck(request: Uint8Array, errno: number, options: AckOptions = {}): Uint8Array {
  const header = decodeHeader(request);
  const capped = errno === 0 || options.capAck === true;
  // An echoed request is padded to 4 bytes (nlmsg_append), so the TLVs after it start aligned.
  const echoed = new Uint8Array(capped ? NLMSG_HDRLEN : nlmsgAlign(header.length));
  echoed.set(request.subarray(0, capped ? NLMSG_HDRLEN : header.length));
  const error = new Uint8Array(4);
  new DataView(error.buffer).setInt32(0, -errno, true);
  const tlvs: Uint8Array[] = [];
  if (options.extAck?.message !== undefined) tlvs.push(attributeString(NLMSGERR_ATTR_MSG, options.extAck.message));
  if (options.extAck?.offendingOffset !== undefined) tlvs.push(attributeU32(NLMSGERR_ATTR_OFFS, options.extAck.offendingOffset));
  const flags = (capped ? NLM_F_CAPPED : 0) | (tlvs.length > 0 ? NLM_F_ACK_TLVS : 0);
  return encodeMessage({ type: NLMSG_ERROR, flags, seq: header.seq, pid: options.portId ?? header.pid }, concatBytes([error, echoed, ...tlvs]));
}

/** The NLMSG_DONE that ends a dump (its int is 0, or a negative errno if the dump failed). */
export function encodeDone(seq: number, portId: number, errno = 0): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setInt32(0, -errno, true);
  return encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq, pid: portId }, payload);
}
