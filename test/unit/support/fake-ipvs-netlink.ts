// A generic netlink socket onto the fake IPVS kernel, in bytes: each request the port sends is
// decoded as the kernel would read it (and kept, for tests to look at), applied to the
// FakeIpvsKernel, and answered with the kernel's encoding (acks with errno numbers, dump parts
// from ipvs-replies' encoders). Faults on demand: a dump that times out, a socket that fails.
import type { GenericNetlinkOpen, GenericNetlinkSocket } from "../../../src/net/generic-netlink-socket.ts";
import { NetlinkError } from "../../../src/net/netlink-socket.ts";
import { SystemError } from "../../../src/net/errno.ts";
import { encodeDestinationReply, encodeInfoReply, encodeServiceReply, type ReplyTo } from "../../../src/ipvs/ipvs-replies.ts";
import { decodeIpvsRequest, type IpvsRequest } from "../../../src/ipvs/ipvs-requests.ts";
import { ZERO_COUNTERS } from "../../../src/ipvs/ipvs-stats-attributes.ts";
import type { IpvsErrno, IpvsOp } from "../../../src/ipvs/ops.ts";
import type { ServiceKey } from "../../../src/ipvs/types.ts";
import { errnoName } from "../../../src/netlink/linux-errno.ts";
import { decodeMessages, type NetlinkMessage } from "../../../src/netlink/netlink-codec.ts";
import type { RequestResult } from "../../../src/netlink/netlink-batching.ts";
import type { FakeIpvsKernel } from "./fake-ipvs-kernel.ts";

const FAMILY_ID = 0x23;
const PORT_ID = 4242;
const ERRNO_NUMBERS: Partial<Record<IpvsErrno, number>> = { EEXIST: 17, ESRCH: 3, ENOENT: 2, EINVAL: 22, ERANGE: 34, EAFNOSUPPORT: 97 };

export interface FakeIpvsNetlink {
  /** The opener to pass as IpvsKernelOptions.openSocket. */
  open(name: string): Promise<GenericNetlinkOpen>;
  /** Every request received, decoded from its bytes, in order. */
  readonly requests: IpvsRequest[];
  /** Sockets opened so far, and how many of them were closed. */
  readonly counts: { opened: number; closed: number; datagrams: number };
  /** The next n dumps time out (the socket is then unusable, as the real one is). */
  timeOutDumps(n: number): void;
  /** The next n dumps are refused with this errno (a NetlinkError, as the kernel's answer). */
  refuseDumps(n: number, errno: number): void;
  /** sendBatch throws from now on, as a socket that failed would. */
  breakSocket(message: string): void;
  /** What open answers instead of a socket. */
  failOpen(result: Extract<GenericNetlinkOpen, { ok: false }> | undefined): void;
}

const keyOf = (service: IpvsRequest & { service: unknown }): ServiceKey => {
  const ref = service.service as ServiceKey | { key: ServiceKey };
  return "key" in ref ? ref.key : ref;
};

/** The op a write request carries, back from its decoded form. */
function opOf(request: IpvsRequest): IpvsOp | undefined {
  switch (request.kind) {
    case "new-service":
      return { kind: "add-service", service: request.service };
    case "set-service":
      return { kind: "set-service", service: request.service, changed: [] };
    case "del-service":
      return { kind: "delete-service", key: keyOf(request), breaksConnections: true };
    case "new-destination":
      return { kind: "add-destination", service: keyOf(request), destination: request.destination };
    case "set-destination":
      return { kind: "set-destination", service: keyOf(request), destination: request.destination, changed: [] };
    case "del-destination":
      return { kind: "delete-destination", service: keyOf(request), destination: request.destination, breaksConnections: true };
    default:
      return undefined;
  }
}

const single = (bytes: Uint8Array): NetlinkMessage => decodeMessages(bytes).messages[0]!;

export function fakeIpvsNetlink(kernel: FakeIpvsKernel): FakeIpvsNetlink {
  const requests: IpvsRequest[] = [];
  const counts = { opened: 0, closed: 0, datagrams: 0 };
  let dumpTimeouts = 0;
  let dumpRefusals = 0;
  let refusalErrno = 0;
  let broken: string | undefined;
  let openFailure: Extract<GenericNetlinkOpen, { ok: false }> | undefined;

  const receive = (bytes: Uint8Array): IpvsRequest => {
    const request = decodeIpvsRequest(single(bytes), FAMILY_ID);
    if ("rejected" in request) throw new Error(`the fake kernel could not read a request: ${request.rejected}`);
    requests.push(request);
    return request;
  };

  const answer = (request: IpvsRequest, seq: number): RequestResult => {
    if (request.kind === "get-info") {
      return {
        ok: true,
        replies: [
          single(encodeInfoReply({ familyId: FAMILY_ID, seq, portId: PORT_ID, dumpPart: false }, { versionCode: 0x010201, connectionTableSize: 4096 })),
        ],
      };
    }
    if (request.kind === "get-service") {
      const key = keyOf(request);
      const found = kernel.dumpServices([key]).services[0];
      if (!found) return { ok: false, error: { errno: ERRNO_NUMBERS.ESRCH!, name: errnoName(ERRNO_NUMBERS.ESRCH!) } };
      const { destinations: _, ...spec } = found;
      return {
        ok: true,
        replies: [single(encodeServiceReply({ familyId: FAMILY_ID, seq, portId: PORT_ID, dumpPart: false }, { spec, stats: ZERO_COUNTERS }))],
      };
    }
    const op = opOf(request);
    if (!op) throw new Error(`the fake kernel does not answer ${request.kind}`);
    const [result] = kernel.apply([op]);
    if (result!.ok) return { ok: true, replies: [] };
    const errno = ERRNO_NUMBERS[result!.errno]!;
    return { ok: false, error: { errno, name: errnoName(errno) } };
  };

  const open = async (name: string): Promise<GenericNetlinkOpen> => {
    if (openFailure) return openFailure;
    if (name !== "IPVS") return { ok: false, kind: "no-family", message: `generic netlink family ${name} not found` };
    counts.opened++;
    let closed = false;
    const socket: GenericNetlinkSocket = {
      family: { id: FAMILY_ID, name: "IPVS", version: 1, headerSize: 0, maxAttribute: 3, operations: [], multicastGroups: [] },
      portId: PORT_ID,
      limits: { maxBytes: 32 * 1024, maxMessages: 1000 },
      async sendBatch(batch) {
        if (closed) throw new Error("closed");
        if (broken) throw new Error(broken);
        counts.datagrams++;
        const count = "count" in batch ? batch.count : batch.length;
        const encode = (index: number, seq: number) => ("count" in batch ? batch.encode(index, seq, PORT_ID) : batch[index]!(seq, PORT_ID));
        return Array.from({ length: count }, (_, index) => answer(receive(encode(index, 1000 + index)), 1000 + index));
      },
      async dump(encode, operation) {
        if (closed) throw new Error("closed");
        const request = receive(encode(7, PORT_ID));
        if (dumpTimeouts > 0) {
          dumpTimeouts--;
          throw new SystemError(operation, 110, "Connection timed out", "a dump got no answer within 5000 ms");
        }
        if (dumpRefusals > 0) {
          dumpRefusals--;
          throw new NetlinkError(operation, refusalErrno);
        }
        const to: ReplyTo = { familyId: FAMILY_ID, seq: 7, portId: PORT_ID, dumpPart: true };
        const table = kernel.dump();
        if (request.kind === "get-services")
          return table.services.map(({ destinations: _, ...spec }) => single(encodeServiceReply(to, { spec, stats: ZERO_COUNTERS })));
        if (request.kind === "get-destinations") {
          const service = table.services.find((s) => JSON.stringify(s.key) === JSON.stringify(request.service));
          return (service?.destinations ?? []).map((d) => single(encodeDestinationReply(to, d)));
        }
        throw new Error(`the fake kernel does not dump ${request.kind}`);
      },
      close() {
        if (!closed) counts.closed++;
        closed = true;
      },
    };
    return { ok: true, socket };
  };

  return {
    open,
    requests,
    counts,
    timeOutDumps: (n) => void (dumpTimeouts = n),
    refuseDumps: (n, errno) => {
      dumpRefusals = n;
      refusalErrno = errno;
    },
    breakSocket: (message) => void (broken = message),
    failOpen: (result) => void (openFailure = result),
  };
}
