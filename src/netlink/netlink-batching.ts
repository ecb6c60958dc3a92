// Many netlink requests in few datagrams: requests numbered by consecutive sequence
// numbers and packed, in order, into chunks small enough for one sendmsg each and whose acks
// fit the receiving socket's buffer; and each request's final answer as a result value. Pure.
import { ETIMEDOUT, ENOBUFS, errnoName } from "./linux-errno.ts";
import type { NetlinkError, RequestOutcome } from "./netlink-acks.ts";
import { concatBytes, type NetlinkMessage } from "./netlink-codec.ts";
import { CLOCK_EVERY } from "../common/time-slices.ts";

/**
 * What the kernel charges the receive buffer for one request's answers: an NLMSG_ERROR is a
 * small skb whose truesize (data slab, skb_shared_info, sk_buff) is about 768 bytes, more
 * with an extended-ack message, and a GET's reply is one more such skb before it. A kernel
 * that finds the buffer full drops the answer (netlink_overrun, ENOBUFS), so a chunk asks
 * for no more answers than the buffer holds at this price.
 */
export const ANSWER_RECEIVE_COST_BYTES = 4096;

export interface BatchLimits {
  /** Bytes of one datagram; a request bigger than this goes alone (the kernel judges it). */
  maxBytes: number;
  /** Requests (and so acks) of one datagram. */
  maxMessages: number;
}

/** How many acks a receive buffer of this size (as getsockopt(SO_RCVBUF) reports it) holds. */
export function acksThatFit(receiveBufferBytes: number): number {
  return Math.max(1, Math.floor(receiveBufferBytes / ANSWER_RECEIVE_COST_BYTES));
}

export interface BatchChunk {
  /** Index of the chunk's first request in the batch. */
  start: number;
  /** seqs[i] is the sequence number of request start + i. */
  seqs: number[];
  /** The chunk's messages back to back: one datagram. */
  bytes: Uint8Array;
}

/** Request `index` of a batch goes out under this sequence number (wrapping as nlmsg_seq does). */
export const seqOf = (firstSeq: number, index: number): number => (firstSeq + index) >>> 0;

/**
 * A bound on the time one chunk takes the caller's event loop: its encoding, and the kernel's
 * handling of it (sendmsg returns once the kernel has done every request of the datagram).
 */
export interface EncodeBudget {
  nowMs(): number;
  maxMs: number;
  /** What the kernel is expected to take per request (read at each chunk's start; the sender learns it). */
  kernelMsPerMessage?: () => number;
}

/**
 * The batch's requests packed into chunks, in order, each within `limits` (and, with a
 * budget, closed once encoding it took that long). Lazy: a request is encoded only when its
 * chunk is asked for, so a caller that sends one chunk at a time never holds (or spends the
 * time encoding) the whole batch at once.
 */
export function* batchChunks(
  count: number,
  encode: (index: number, seq: number) => Uint8Array,
  firstSeq: number,
  limits: BatchLimits,
  budget?: EncodeBudget,
): Generator<BatchChunk, void, undefined> {
  if (!(limits.maxBytes > 0) || !(limits.maxMessages >= 1)) throw new RangeError(`batch limits must be positive, got ${JSON.stringify(limits)}`);
  let carried: Uint8Array | undefined;
  let index = 0;
  while (index < count) {
    const start = index;
    const parts: Uint8Array[] = [];
    let bytes = 0;
    let lookedMs = budget ? budget.nowMs() : 0;
    const deadlineMs = budget ? lookedMs + budget.maxMs : Infinity;
    const kernelMs = budget?.kernelMsPerMessage?.() ?? 0;
    // The kernel's share is counted at each request; the clock is looked at every CLOCK_EVERY
    // (time-slices.ts says why), so the encoding may run over by as many requests' worth.
    const spent = (): boolean => {
      if (budget === undefined) return false;
      if (parts.length % CLOCK_EVERY === 0) lookedMs = budget.nowMs();
      return lookedMs + parts.length * kernelMs >= deadlineMs;
    };
    while (index < count && parts.length < limits.maxMessages && !(parts.length > 0 && spent())) {
      const message = carried ?? encode(index, seqOf(firstSeq, index));
      carried = undefined;
      if (parts.length > 0 && bytes + message.length > limits.maxBytes) {
        carried = message;
        break;
      }
      parts.push(message);
      bytes += message.length;
      index++;
    }
    yield { start, seqs: parts.map((_, i) => seqOf(firstSeq, start + i)), bytes: concatBytes(parts) };
  }
}

/** A request's end: acknowledged (with its data messages, if it was a GET), or refused. */
export type RequestResult = { ok: true; replies: NetlinkMessage[] } | { ok: false; error: NetlinkError };

/** Why a request has no final answer although the receive loop ended. */
export type Unanswered = { cause: "timeout"; afterMs: number } | { cause: "overrun" };

/**
 * A request's outcome as a result. One still pending was never answered: past the deadline
 * (ETIMEDOUT), or its ack was dropped because the receive buffer was full (ENOBUFS); either
 * way the kernel may or may not have done it, which the message says.
 */
export function resultOf(outcome: RequestOutcome | undefined, unanswered: Unanswered): RequestResult {
  if (outcome?.status === "ok") return { ok: true, replies: outcome.replies };
  if (outcome?.status === "failed") return { ok: false, error: outcome.error };
  if (unanswered.cause === "overrun") {
    return {
      ok: false,
      error: {
        errno: ENOBUFS,
        name: errnoName(ENOBUFS),
        message: "the kernel dropped this request's answer (receive buffer full); it may or may not have been done",
      },
    };
  }
  return {
    ok: false,
    error: {
      errno: ETIMEDOUT,
      name: errnoName(ETIMEDOUT),
      message: `no answer from the kernel within ${unanswered.afterMs} ms; the request may or may not have been done`,
    },
  };
}
