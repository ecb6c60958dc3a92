// A NETLINK_GENERIC socket bound to one family, resolved by name: batches of requests (many per
// sendmsg, each acknowledged, answers matched back by sequence number, refusals returned as
// values) and multi-part dumps, read without blocking and with a deadline, yielding to the
// event loop between datagrams sent and dump parts read so the caller's timers and IPC run.
import { systemClock, yieldToEventLoop, type Clock } from "../common/clock.ts";
import { decodeFamily, encodeGetFamilyRequest, type GenlFamily } from "../netlink/generic-netlink.ts";
import { describeNetlinkError, matchAcks } from "../netlink/netlink-acks.ts";
import { acksThatFit, batchChunks, resultOf, type BatchLimits, type RequestResult } from "../netlink/netlink-batching.ts";
import { decodeMessages, NLMSG_DONE, NLMSG_ERROR, NLMSG_OVERRUN, type NetlinkMessage } from "../netlink/netlink-codec.ts";
import { EAGAIN, EINTR, EINVAL, ENOBUFS, ENOENT, errnoName, ETIMEDOUT, SystemError } from "./errno.ts";
import { bindSocket, closeFd, describeErrno, getIntSocketOption, openSocket, receiveFrom, sendTo, setIntSocketOption, socketName } from "./libc.ts";
import {
  AF_NETLINK,
  decodeSockaddrNl,
  encodeSockaddrNl,
  MSG_DONTWAIT,
  MSG_TRUNC,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_GENERIC,
  SOCKADDR_NL_SIZE,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
} from "./libc-structs.ts";
import { NetlinkError } from "./netlink-socket.ts";

/** Builds one request given its sequence number and the socket's port id. */
export type GenlRequestEncoder = (seq: number, portId: number) => Uint8Array;

/**
 * A batch: a list of encoders, or `count` requests built by index, which spares a caller with
 * thousands of them a closure each before the first is sent.
 */
export type GenlBatch = readonly GenlRequestEncoder[] | { count: number; encode(index: number, seq: number, portId: number): Uint8Array };

export interface GenericNetlinkSocket {
  readonly family: GenlFamily;
  readonly portId: number;
  /** What each datagram of a batch stays within (the ack count from the receive buffer granted). */
  readonly limits: BatchLimits;
  /**
   * Do-requests (not dumps), sent in chunks within `limits`; one result per request, in
   * order. A refusal (EEXIST, ENOENT, ...) is a result; so is an answer that never came
   * (ETIMEDOUT) or was dropped (ENOBUFS). Throws only when the socket itself fails.
   */
  sendBatch(batch: GenlBatch): Promise<RequestResult[]>;
  /** Every part of one dump. Throws NetlinkError when the kernel refuses it, SystemError on timeout. */
  dump(request: GenlRequestEncoder, operation: string): Promise<NetlinkMessage[]>;
  close(): void;
}

export interface GenericNetlinkOptions {
  clock?: Clock;
  /** How long one datagram's answers (or one dump part) may take before they count as lost. */
  replyTimeoutMs?: number;
  /** Bytes of one batch datagram. */
  maxBatchBytes?: number;
  /** Requests of one batch datagram; by default as many as the receive buffer granted holds answers for. */
  maxBatchMessages?: number;
  /** Milliseconds of encoding one batch datagram may take before it goes: the event loop waits that long at most. */
  sliceMs?: number;
  /** SO_RCVBUF asked for; the kernel may grant less (rmem_max) without CAP_NET_ADMIN. */
  receiveBufferBytes?: number;
}

export type GenericNetlinkOpen =
  | { ok: true; socket: GenericNetlinkSocket }
  /** The kernel has no such family (its module is neither loaded nor loadable). */
  | { ok: false; kind: "no-family"; message: string }
  | { ok: false; kind: "socket-error"; message: string };

const DEFAULT_REPLY_TIMEOUT_MS = 5_000;
/** One datagram; the kernel handles a whole datagram before it returns from sendmsg. */
const DEFAULT_MAX_BATCH_BYTES = 32 * 1024;
/** Small beside a 10 ms timer: what a slice of the caller's work may keep its event loop waiting. */
export const DEFAULT_SLICE_MS = 5;
const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
/** Above the kernel's cap of 32 KiB on one dump part (netlink_recvmsg's max_recvmsg_len). */
const DATAGRAM_BUFFER_BYTES = 64 * 1024;
const DUMP_ATTEMPTS = 3;

export async function openGenericNetlinkSocket(familyName: string, options: GenericNetlinkOptions = {}): Promise<GenericNetlinkOpen> {
  const clock = options.clock ?? systemClock();
  const replyTimeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  let fd: number;
  let portId: number;
  let granted: number;
  try {
    fd = openSocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC, "socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC)");
  } catch (error) {
    return { ok: false, kind: "socket-error", message: (error as Error).message };
  }
  try {
    // Extended acks carry the kernel's reason; capped acks keep error answers as small as success ones.
    try {
      setIntSocketOption(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
      setIntSocketOption(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
    } catch {}
    const wanted = options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES;
    try {
      setIntSocketOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, wanted, "SO_RCVBUFFORCE"); // past rmem_max, with CAP_NET_ADMIN
    } catch {
      setIntSocketOption(fd, SOL_SOCKET, SO_RCVBUF, wanted, "SO_RCVBUF");
    }
    granted = getIntSocketOption(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
    bindSocket(fd, encodeSockaddrNl(0, 0), "sockaddr_nl");
    portId = decodeSockaddrNl(socketName(fd, SOCKADDR_NL_SIZE)).portId;
  } catch (error) {
    closeFd(fd);
    return { ok: false, kind: "socket-error", message: (error as Error).message };
  }

  const buffer = new Uint8Array(DATAGRAM_BUFFER_BYTES);
  // Distinct across restarts without a clock; each batch takes a run of numbers.
  let nextSeq = crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1;
  const takeSeqs = (count: number): number => {
    const first = nextSeq;
    nextSeq = (nextSeq + count) >>> 0;
    return first;
  };
  let closed = false;
  /** Set when a dump was abandoned: the kernel may still hold it (EBUSY for the next), so the socket is done. */
  let broken: string | undefined;

  const usable = (operation: string): void => {
    if (closed) throw new Error(`${operation}: the generic netlink socket is closed`);
    if (broken) throw new Error(`${operation}: the generic netlink socket is unusable (${broken}); open a new one`);
  };

  /** One datagram, or undefined when none is queued (EAGAIN); "overrun" when the kernel dropped some (ENOBUFS). */
  const receiveOne = (operation: string): Uint8Array | "overrun" | undefined => {
    for (;;) {
      try {
        const length = receiveFrom(fd, buffer, MSG_DONTWAIT | MSG_TRUNC, `recvfrom(${operation})`);
        if (length > buffer.length) throw new Error(`${operation}: a ${length}-byte netlink datagram did not fit in ${buffer.length} bytes`);
        return buffer.slice(0, length);
      } catch (error) {
        if (!(error instanceof SystemError)) throw error;
        if (error.errno === EINTR) continue;
        if (error.errno === EAGAIN) return undefined;
        if (error.errno === ENOBUFS) return "overrun";
        throw error;
      }
    }
  };

  /**
   * Receives until every seq has its final answer (NLMSG_ERROR or NLMSG_DONE), the deadline
   * passes, or answers were dropped. The kernel answers inside sendmsg and builds each next
   * dump part inside recvmsg, so the datagrams are normally there already; the deadline is
   * for the abnormal case, waited out in short sleeps, never a blocking call.
   */
  const collect = async (seqs: readonly number[], operation: string, yieldBetween: boolean) => {
    const waiting = new Set(seqs);
    const datagrams: Uint8Array[] = [];
    let deadlineMs = clock.nowMs() + replyTimeoutMs;
    let pauseMs = 1;
    let overrun = false;
    while (waiting.size > 0) {
      const datagram = receiveOne(operation);
      if (datagram === "overrun") {
        overrun = true;
        continue;
      }
      if (datagram === undefined) {
        // The kernel queues every answer it will give before we look; after a drop, the rest is gone.
        if (overrun || clock.nowMs() >= deadlineMs) break;
        await new Promise<void>((resolve) => clock.at(clock.nowMs() + pauseMs, resolve));
        pauseMs = Math.min(pauseMs * 2, 50);
        continue;
      }
      datagrams.push(datagram);
      const { messages } = decodeMessages(datagram);
      for (const { header } of messages) {
        if (header.type === NLMSG_OVERRUN) overrun = true;
        if ((header.type === NLMSG_ERROR || header.type === NLMSG_DONE) && header.pid === portId) waiting.delete(header.seq);
      }
      if (yieldBetween && waiting.size > 0) {
        await yieldToEventLoop();
        deadlineMs = clock.nowMs() + replyTimeoutMs; // the deadline is per part, not per dump
      }
    }
    return { match: matchAcks(datagrams, seqs), overrun };
  };

  const send = (bytes: Uint8Array, operation: string): void => {
    sendTo(fd, bytes, encodeSockaddrNl(0, 0), `sendto(${operation})`);
  };

  /**
   * What the kernel takes per request inside sendmsg, learned from the datagrams sent: the
   * encoding budget alone let a fast encoder pack hundreds of requests into one datagram, and
   * the kernel handling them held the event loop for a second under TCG. Starts as if a
   * slice held 16 requests, then follows the measurements (slowly down, at once up).
   */
  let kernelMsPerRequest = sliceMs / 16;
  const learnKernelTime = (measuredMs: number): void => {
    kernelMsPerRequest = measuredMs > kernelMsPerRequest ? measuredMs : kernelMsPerRequest * 0.75 + measuredMs * 0.25;
  };

  const limits: BatchLimits = { maxBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES, maxMessages: options.maxBatchMessages ?? acksThatFit(granted) };
  /**
   * One exchange at a time: a batch or a dump yields between its datagrams, and an exchange
   * begun meanwhile would read the first one's answers off the socket (and lose its own). A
   * second caller (the drift scan reading beside a reload's writes, a sync daemon started
   * during a pass) waits for the exchange under way, not for the first caller's whole task.
   */
  let lane: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(exchange: () => Promise<T>): Promise<T> => {
    const turn = lane.then(exchange, exchange);
    lane = turn.catch(() => undefined);
    return turn;
  };
  const transport: Omit<GenericNetlinkSocket, "family"> = {
    portId,
    limits,

    sendBatch: (batch) => inTurn(() => sendBatch(batch)),
    dump: (request, operation) => inTurn(() => dump(request, operation)),

    close() {
      if (closed) return;
      closed = true;
      closeFd(fd);
    },
  };

  async function sendBatch(batch: Parameters<GenericNetlinkSocket["sendBatch"]>[0]): Promise<RequestResult[]> {
    usable("batch");
    const count = "count" in batch ? batch.count : batch.length;
    const build =
      "count" in batch ? (index: number, seq: number) => batch.encode(index, seq, portId) : (index: number, seq: number) => batch[index]!(seq, portId);
    const results: RequestResult[] = [];
    const firstSeq = takeSeqs(count);
    // A request its encoder refuses (a value out of range) is not sent and fails alone: the rest still go.
    const unsent = new Map<number, string>();
    const encode = (index: number, seq: number): Uint8Array => {
      try {
        return build(index, seq);
      } catch (error) {
        unsent.set(seq, (error as Error).message);
        return new Uint8Array(0);
      }
    };
    const budget = { nowMs: () => clock.nowMs(), maxMs: sliceMs, kernelMsPerMessage: () => kernelMsPerRequest };
    for (const chunk of batchChunks(count, encode, firstSeq, limits, budget)) {
      if (chunk.start > 0) await yieldToEventLoop();
      usable("batch");
      const sent = chunk.seqs.filter((seq) => !unsent.has(seq));
      const operation = `batch of ${sent.length}`;
      if (sent.length > 0) {
        const sentAtMs = clock.nowMs();
        send(chunk.bytes, operation);
        learnKernelTime((clock.nowMs() - sentAtMs) / sent.length);
      }
      const { match, overrun } = sent.length > 0 ? await collect(sent, operation, false) : { match: matchAcks([], []), overrun: false };
      const unanswered = overrun ? ({ cause: "overrun" } as const) : ({ cause: "timeout", afterMs: replyTimeoutMs } as const);
      for (const seq of chunk.seqs) {
        const refusal = unsent.get(seq);
        results.push(
          refusal === undefined
            ? resultOf(match.outcomes.get(seq), unanswered)
            : { ok: false, error: { errno: EINVAL, name: errnoName(EINVAL), message: `not sent: ${refusal}` } },
        );
      }
    }
    return results;
  }

  async function dump(request: Parameters<GenericNetlinkSocket["dump"]>[0], operation: string): Promise<NetlinkMessage[]> {
    for (let attempt = 1; ; attempt++) {
      usable(operation);
      const seq = takeSeqs(1);
      send(request(seq, portId), operation);
      const { match, overrun } = await collect([seq], operation, true);
      const outcome = match.outcomes.get(seq)!;
      if (outcome.status === "failed") {
        throw new NetlinkError(operation, outcome.error.errno, outcome.error.message);
      }
      if (outcome.status === "pending" || overrun || match.problems.length > 0) {
        broken = overrun
          ? "the kernel dropped dump parts"
          : outcome.status === "pending"
            ? `a dump got no answer within ${replyTimeoutMs} ms`
            : match.problems[0];
        if (outcome.status === "pending") throw new SystemError(operation, ETIMEDOUT, describeErrno(ETIMEDOUT), broken);
        throw new Error(`${operation}: ${broken}`);
      }
      // A dump that raced with a change is flagged NLM_F_DUMP_INTR and may be inconsistent: redo it.
      if (!outcome.interrupted || attempt >= DUMP_ATTEMPTS) return outcome.replies.map((m) => ({ header: m.header, payload: m.payload.slice() }));
    }
  }

  // The family by name, as libnl's genl_ctrl_resolve does it (and so ipvsadm). The kernel
  // loads a module that declares the family's alias (ip_vs does) on this very request.
  let answer: RequestResult;
  try {
    [answer] = (await transport.sendBatch([(seq, pid) => encodeGetFamilyRequest(familyName, seq, pid)])) as [RequestResult];
  } catch (error) {
    transport.close();
    return { ok: false, kind: "socket-error", message: (error as Error).message };
  }
  if (!answer.ok) {
    transport.close();
    if (answer.error.errno === ENOENT) return { ok: false, kind: "no-family", message: `generic netlink family ${familyName} not found` };
    return { ok: false, kind: "socket-error", message: `CTRL_CMD_GETFAMILY ${familyName}: ${describeNetlinkError(answer.error)}` };
  }
  const family = answer.replies.length > 0 ? decodeFamily(answer.replies[0]!) : { rejected: "the controller sent no family" };
  if ("rejected" in family) {
    transport.close();
    return { ok: false, kind: "socket-error", message: `CTRL_CMD_GETFAMILY ${familyName}: ${family.rejected}` };
  }
  return { ok: true, socket: { ...transport, family } };
}
