// A netlink request socket: sends one request, collects its replies by sequence number
// (acks, errors, multi-part dumps) and turns NLMSG_ERROR into a readable NetlinkError.
import { describeErrno, bindSocket, closeFd, openSocket, receiveFrom, sendTo, setIntSocketOption, setSocketOption, socketName } from "./libc.ts";
import { EADDRNOTAVAIL, EEXIST, ENOENT, ESRCH, SystemError, ENODEV } from "./errno.ts";
import {
  AF_NETLINK,
  decodeSockaddrNl,
  encodeSockaddrNl,
  encodeTimeval,
  MSG_TRUNC,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  SOCKADDR_NL_SIZE,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
  SO_RCVTIMEO,
} from "./libc-structs.ts";
import {
  decodeAck,
  decodeDoneErrno,
  decodeHeader,
  decodeMessages,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLM_F_DUMP_INTR,
  type NetlinkMessage,
} from "../netlink/netlink-codec.ts";

/** A failed netlink request: `code` is the errno name ("EEXIST"), `kernelMessage` the extended ack. */
export class NetlinkError extends SystemError {
  constructor(
    operation: string,
    errno: number,
    readonly kernelMessage?: string,
  ) {
    super(operation, errno, describeErrno(errno), kernelMessage ? `kernel says "${kernelMessage}"` : undefined);
  }
}

/** EEXIST: adding what is already there. Callers may treat it as "already done". */
export function isAlreadyPresent(error: unknown): boolean {
  return error instanceof SystemError && error.errno === EEXIST;
}

/** EADDRNOTAVAIL (no such address), ENOENT/ESRCH (no such object): deleting what is already gone. */
export function isAlreadyAbsent(error: unknown): boolean {
  return error instanceof SystemError && (error.errno === EADDRNOTAVAIL || error.errno === ENOENT || error.errno === ESRCH);
}

/** ENODEV: the interface named does not exist (in this namespace). */
export function isNoSuchDevice(error: unknown): boolean {
  return error instanceof SystemError && error.errno === ENODEV;
}

export interface NetlinkRequestSocket {
  readonly portId: number;
  nextSeq(): number;
  /**
   * Sends `request` (an encoded message whose seq came from nextSeq()) and returns the reply
   * messages: the parts of a dump, or [] for a plain ack. Throws NetlinkError on an error ack.
   * Blocking, but only for as long as the kernel takes: rtnetlink answers within sendto()
   * and builds each further dump part inside recvfrom(). SO_RCVTIMEO bounds it anyway.
   */
  exchange(request: Uint8Array, operation: string): NetlinkMessage[];
  close(): void;
}

const RECEIVE_BUFFER_BYTES = 64 * 1024; // above the kernel's 32 KiB cap on one dump skb
const REPLY_TIMEOUT_MS = 2000;
const DUMP_ATTEMPTS = 3;

export function openNetlinkRequestSocket(protocol: number, protocolName: string): NetlinkRequestSocket {
  const fd = openSocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol, `socket(AF_NETLINK, SOCK_RAW, ${protocolName})`);
  let portId: number;
  try {
    // Extended acks carry the kernel's reason ("Invalid prefix length"); capped acks don't
    // echo our whole request back. Both are best-effort: old kernels lack them.
    try {
      setIntSocketOption(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
      setIntSocketOption(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
    } catch {}
    setSocketOption(fd, SOL_SOCKET, SO_RCVTIMEO, encodeTimeval(REPLY_TIMEOUT_MS), "SO_RCVTIMEO");
    bindSocket(fd, encodeSockaddrNl(0, 0), "sockaddr_nl");
    portId = decodeSockaddrNl(socketName(fd, SOCKADDR_NL_SIZE)).portId;
  } catch (error) {
    closeFd(fd);
    throw error;
  }

  const buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
  // Distinct across restarts (iproute2 uses the time; a random start needs no clock).
  let seq = crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1;
  let closed = false;

  function exchangeOnce(request: Uint8Array, operation: string): { replies: NetlinkMessage[]; interrupted: boolean } {
    const { seq: requestSeq } = decodeHeader(request);
    sendTo(fd, request, encodeSockaddrNl(0, 0), `sendto(${operation})`);
    const replies: NetlinkMessage[] = [];
    let interrupted = false;
    for (;;) {
      const length = receiveFrom(fd, buffer, MSG_TRUNC, `recvfrom(${operation})`);
      if (length > buffer.length) throw new Error(`${operation}: a ${length}-byte netlink reply did not fit in ${buffer.length} bytes`);
      const { messages, problem } = decodeMessages(buffer.slice(0, length));
      if (problem) throw new Error(`${operation}: malformed netlink reply: ${problem}`);
      for (const message of messages) {
        // Late replies to an earlier, abandoned request: not ours.
        if (message.header.seq !== requestSeq || (message.header.pid !== portId && message.header.pid !== 0)) continue;
        switch (message.header.type) {
          case NLMSG_NOOP:
            continue;
          case NLMSG_ERROR: {
            const ack = decodeAck(message);
            if (!ack) throw new Error(`${operation}: truncated NLMSG_ERROR`);
            if (ack.errno !== 0) throw new NetlinkError(operation, ack.errno, ack.message);
            return { replies, interrupted };
          }
          case NLMSG_DONE: {
            const errno = decodeDoneErrno(message);
            if (errno > 0) throw new NetlinkError(operation, errno);
            return { replies, interrupted };
          }
          case NLMSG_OVERRUN:
            throw new Error(`${operation}: NLMSG_OVERRUN (the kernel lost data)`);
          default:
            if (message.header.flags & NLM_F_DUMP_INTR) interrupted = true;
            replies.push({ header: message.header, payload: message.payload.slice() });
        }
      }
    }
  }

  return {
    portId,
    nextSeq: () => (seq = (seq + 1) >>> 0),
    exchange(request, operation) {
      if (closed) throw new Error(`${operation}: the netlink socket is closed`);
      // A dump that raced with a change is flagged NLM_F_DUMP_INTR and may be inconsistent: redo it.
      let attempt = 0;
      for (;;) {
        const { replies, interrupted } = exchangeOnce(request, operation);
        if (!interrupted || ++attempt >= DUMP_ATTEMPTS) return replies;
        request = request.slice();
        new DataView(request.buffer).setUint32(8, (seq = (seq + 1) >>> 0), true);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      closeFd(fd);
    },
  };
}
