// IPVS generic-netlink requests as values, and their bytes: exactly what ipvsadm 1.31 sends
// (test/fixtures/ipvs holds its requests, captured from the appliance kernel), and back, so
// that a fake kernel can read what the director sends. Every request asks for an ack, so a
// batch of them can be matched to its answers by sequence number. Pure.
import type { AttributeIndex } from "../netlink/attribute-index.ts";
import { decodeGenlMessage } from "../netlink/generic-netlink.ts";
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, type NetlinkMessage, type Rejection } from "../netlink/netlink-codec.ts";
import { NetlinkWriter } from "../netlink/netlink-writer.ts";
import {
  IPVS_CMD_ATTR_DAEMON,
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
  IPVS_CMD_DEL_DAEMON,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_FLUSH,
  IPVS_CMD_GET_CONFIG,
  IPVS_CMD_GET_DAEMON,
  IPVS_CMD_GET_DEST,
  IPVS_CMD_GET_INFO,
  IPVS_CMD_GET_SERVICE,
  IPVS_CMD_NEW_DAEMON,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_ZERO,
  IPVS_DAEMON_ATTR_MCAST_IFN,
  IPVS_DAEMON_ATTR_STATE,
  IPVS_DAEMON_ATTR_SYNC_ID,
  IPVS_GENL_VERSION,
} from "./ip-vs-constants.ts";
import { decodeDaemonAttributes, syncStateNumber, syncStateOf, writeDaemonAttributes } from "./ipvs-daemon-attributes.ts";
import {
  decodeDestinationKey,
  decodeDestinationSpec,
  hasDestinationSettings,
  writeDestinationAttributes,
  writeDestinationKeyAttributes,
} from "./ipvs-destination-attributes.ts";
import { decodeServiceKey, decodeServiceSpec, hasServiceSettings, writeServiceAttributes, writeServiceKeyAttributes } from "./ipvs-service-attributes.ts";
import { serviceFamily, type DestinationAddress, type DestinationSpec, type ServiceKey, type ServiceSpec } from "./types.ts";
import type { IpvsTimeouts, SyncDaemonSpec, SyncDaemonState } from "./settings-types.ts";

/**
 * Which service a command is about. A key sends only the identifying attributes (all the
 * kernel reads for these commands); a whole spec sends everything, as ipvsadm and keepalived do.
 */
export type ServiceRef = ServiceKey | ServiceSpec;

export type IpvsRequest =
  | { kind: "new-service"; service: ServiceSpec }
  | { kind: "set-service"; service: ServiceSpec }
  | { kind: "del-service"; service: ServiceRef }
  /** One service (GET_SERVICE without NLM_F_DUMP): ESRCH if it is not there. */
  | { kind: "get-service"; service: ServiceRef }
  /** Every service (a dump). */
  | { kind: "get-services" }
  | { kind: "new-destination"; service: ServiceRef; destination: DestinationSpec }
  | { kind: "set-destination"; service: ServiceRef; destination: DestinationSpec }
  /** A bare address and port is all the kernel needs; ipvsadm sends a whole destination. */
  | { kind: "del-destination"; service: ServiceRef; destination: DestinationAddress | DestinationSpec }
  /** The destinations of one service (a dump; empty if the service is not there). */
  | { kind: "get-destinations"; service: ServiceKey }
  | { kind: "new-daemon"; daemon: SyncDaemonSpec }
  /** ipvsadm also sends an empty interface and sync id 0; the kernel reads only the state. */
  | { kind: "del-daemon"; state: SyncDaemonState; interfaceName?: string; syncId?: number }
  | { kind: "get-daemons" }
  /** Only the timeouts given are sent; the kernel keeps the others. */
  | { kind: "set-config"; timeouts: Partial<IpvsTimeouts> }
  | { kind: "get-config" }
  | { kind: "get-info" }
  /** Zeroes the counters of one service, or of all. */
  | { kind: "zero"; service?: ServiceRef }
  | { kind: "flush" };

const commands: Record<IpvsRequest["kind"], number> = {
  "new-service": IPVS_CMD_NEW_SERVICE,
  "set-service": IPVS_CMD_SET_SERVICE,
  "del-service": IPVS_CMD_DEL_SERVICE,
  "get-service": IPVS_CMD_GET_SERVICE,
  "get-services": IPVS_CMD_GET_SERVICE,
  "new-destination": IPVS_CMD_NEW_DEST,
  "set-destination": IPVS_CMD_SET_DEST,
  "del-destination": IPVS_CMD_DEL_DEST,
  "get-destinations": IPVS_CMD_GET_DEST,
  "new-daemon": IPVS_CMD_NEW_DAEMON,
  "del-daemon": IPVS_CMD_DEL_DAEMON,
  "get-daemons": IPVS_CMD_GET_DAEMON,
  "set-config": IPVS_CMD_SET_CONFIG,
  "get-config": IPVS_CMD_GET_CONFIG,
  "get-info": IPVS_CMD_GET_INFO,
  zero: IPVS_CMD_ZERO,
  flush: IPVS_CMD_FLUSH,
};

const dumps: ReadonlySet<IpvsRequest["kind"]> = new Set(["get-services", "get-destinations", "get-daemons"]);

/** The genetlink command a request is sent as. */
export const ipvsCommandOf = (request: IpvsRequest): number => commands[request.kind];

export const isDumpRequest = (request: IpvsRequest): boolean => dumps.has(request.kind);

const isServiceSpec = (service: ServiceRef): service is ServiceSpec => "key" in service;
const isDestinationSpec = (destination: DestinationAddress | DestinationSpec): destination is DestinationSpec => "forward" in destination;

/**
 * Each service's nest, encoded once: every destination request of a service repeats it, and a
 * load of thousands of destinations spent half its encoding on the same bytes again. Keyed by
 * the value (the table's values are never changed in place); the bytes are only ever copied.
 */
const serviceNests = new WeakMap<ServiceRef, Uint8Array>();

function writeServiceNest(writer: NetlinkWriter, service: ServiceRef): void {
  const cached = serviceNests.get(service);
  if (cached) return writer.append(cached);
  const start = writer.beginNest(IPVS_CMD_ATTR_SERVICE);
  if (isServiceSpec(service)) writeServiceAttributes(writer, service);
  else writeServiceKeyAttributes(writer, service);
  writer.endNest(start);
  serviceNests.set(service, writer.bytes(start));
}

function writeDestinationNest(writer: NetlinkWriter, destination: DestinationAddress | DestinationSpec): void {
  const start = writer.beginNest(IPVS_CMD_ATTR_DEST);
  if (isDestinationSpec(destination)) writeDestinationAttributes(writer, destination);
  else writeDestinationKeyAttributes(writer, destination);
  writer.endNest(start);
}

function writeAttributes(writer: NetlinkWriter, request: IpvsRequest): void {
  switch (request.kind) {
    case "new-service":
    case "set-service":
    case "del-service":
    case "get-service":
    case "get-destinations":
      return writeServiceNest(writer, request.service);
    case "new-destination":
    case "set-destination":
    case "del-destination":
      writeServiceNest(writer, request.service);
      return writeDestinationNest(writer, request.destination);
    case "new-daemon": {
      const start = writer.beginNest(IPVS_CMD_ATTR_DAEMON);
      writeDaemonAttributes(writer, request.daemon);
      return writer.endNest(start);
    }
    case "del-daemon": {
      const start = writer.beginNest(IPVS_CMD_ATTR_DAEMON);
      writer.u32(IPVS_DAEMON_ATTR_STATE, syncStateNumber(request.state));
      writer.string(IPVS_DAEMON_ATTR_MCAST_IFN, request.interfaceName ?? "");
      writer.u32(IPVS_DAEMON_ATTR_SYNC_ID, request.syncId ?? 0);
      return writer.endNest(start);
    }
    case "set-config": {
      const { tcpS, tcpFinS, udpS } = request.timeouts;
      if (tcpS !== undefined) writer.u32(IPVS_CMD_ATTR_TIMEOUT_TCP, tcpS);
      if (tcpFinS !== undefined) writer.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, tcpFinS);
      if (udpS !== undefined) writer.u32(IPVS_CMD_ATTR_TIMEOUT_UDP, udpS);
      return;
    }
    case "zero":
      if (request.service) writeServiceNest(writer, request.service);
      return;
    case "get-services":
    case "get-daemons":
    case "get-config":
    case "get-info":
    case "flush":
      return;
  }
}

/**
 * One request as a whole netlink message to the IPVS family (its id from the controller). A
 * caller encoding many passes `writer` to have them all built in its buffer (reset each time;
 * each request's bytes are copied out): a new buffer per request was a third of the cost.
 */
export function encodeIpvsRequest(familyId: number, request: IpvsRequest, seq: number, pid = 0, writer = new NetlinkWriter()): Uint8Array {
  const flags = NLM_F_REQUEST | NLM_F_ACK | (isDumpRequest(request) ? NLM_F_DUMP : 0);
  writer.reset();
  const start = writer.beginMessage({ type: familyId, flags, seq, pid });
  writer.genlHeader(ipvsCommandOf(request), IPVS_GENL_VERSION);
  writeAttributes(writer, request);
  writer.endMessage(start);
  return writer.bytes();
}

/** A request back from its bytes, as the kernel reads it; for fake kernels and round trips. */
export function decodeIpvsRequest(message: NetlinkMessage, familyId: number): IpvsRequest | Rejection {
  const genl = decodeGenlMessage(message, familyId);
  if ("rejected" in genl) return genl;
  const nest = (type: number): AttributeIndex | undefined => genl.attributes.nest(type);
  const service = nest(IPVS_CMD_ATTR_SERVICE);
  const wholeService = (): ServiceSpec | Rejection => (service ? decodeServiceSpec(service) : { rejected: "IPVS_CMD_ATTR_SERVICE is missing" });
  const serviceRef = (): ServiceRef | Rejection =>
    service ? (hasServiceSettings(service) ? decodeServiceSpec(service) : decodeServiceKey(service)) : { rejected: "IPVS_CMD_ATTR_SERVICE is missing" };
  const destinationOf = (ref: ServiceRef, whole: boolean): DestinationAddress | DestinationSpec | Rejection => {
    const dest = nest(IPVS_CMD_ATTR_DEST);
    if (!dest) return { rejected: "IPVS_CMD_ATTR_DEST is missing" };
    const family = serviceFamily(isServiceSpec(ref) ? ref.key : ref);
    return whole || hasDestinationSettings(dest) ? decodeDestinationSpec(dest, family) : decodeDestinationKey(dest, family);
  };
  const dump = (message.header.flags & NLM_F_DUMP) === NLM_F_DUMP;
  switch (genl.cmd) {
    case IPVS_CMD_NEW_SERVICE:
    case IPVS_CMD_SET_SERVICE: {
      const spec = wholeService();
      if ("rejected" in spec) return spec;
      return { kind: genl.cmd === IPVS_CMD_NEW_SERVICE ? "new-service" : "set-service", service: spec };
    }
    case IPVS_CMD_DEL_SERVICE:
    case IPVS_CMD_GET_SERVICE: {
      if (genl.cmd === IPVS_CMD_GET_SERVICE && dump) return { kind: "get-services" };
      const ref = serviceRef();
      if ("rejected" in ref) return ref;
      return { kind: genl.cmd === IPVS_CMD_DEL_SERVICE ? "del-service" : "get-service", service: ref };
    }
    case IPVS_CMD_GET_DEST: {
      if (!service) return { rejected: "IPVS_CMD_ATTR_SERVICE is missing" };
      const key = decodeServiceKey(service);
      return "rejected" in key ? key : { kind: "get-destinations", service: key };
    }
    case IPVS_CMD_NEW_DEST:
    case IPVS_CMD_SET_DEST:
    case IPVS_CMD_DEL_DEST: {
      const ref = serviceRef();
      if ("rejected" in ref) return ref;
      const destination = destinationOf(ref, genl.cmd !== IPVS_CMD_DEL_DEST);
      if ("rejected" in destination) return destination;
      if (genl.cmd === IPVS_CMD_DEL_DEST) return { kind: "del-destination", service: ref, destination };
      return { kind: genl.cmd === IPVS_CMD_NEW_DEST ? "new-destination" : "set-destination", service: ref, destination: destination as DestinationSpec };
    }
    case IPVS_CMD_NEW_DAEMON:
    case IPVS_CMD_DEL_DAEMON: {
      const daemonNest = nest(IPVS_CMD_ATTR_DAEMON);
      if (!daemonNest) return { rejected: "IPVS_CMD_ATTR_DAEMON is missing" };
      if (genl.cmd === IPVS_CMD_NEW_DAEMON) {
        const daemon = decodeDaemonAttributes(daemonNest);
        return "rejected" in daemon ? daemon : { kind: "new-daemon", daemon };
      }
      const stateNumber = daemonNest.u32(IPVS_DAEMON_ATTR_STATE);
      const state = stateNumber === undefined ? undefined : syncStateOf(stateNumber);
      if (state === undefined) return { rejected: `IPVS_DAEMON_ATTR_STATE is ${stateNumber ?? "missing"}, not IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP` };
      const request: IpvsRequest = { kind: "del-daemon", state };
      const interfaceName = daemonNest.string(IPVS_DAEMON_ATTR_MCAST_IFN);
      const syncId = daemonNest.u32(IPVS_DAEMON_ATTR_SYNC_ID);
      if (interfaceName !== undefined) request.interfaceName = interfaceName;
      if (syncId !== undefined) request.syncId = syncId;
      return request;
    }
    case IPVS_CMD_GET_DAEMON:
      return { kind: "get-daemons" };
    case IPVS_CMD_SET_CONFIG: {
      const timeouts: Partial<IpvsTimeouts> = {};
      const tcp = genl.attributes.u32(IPVS_CMD_ATTR_TIMEOUT_TCP);
      const tcpFin = genl.attributes.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN);
      const udp = genl.attributes.u32(IPVS_CMD_ATTR_TIMEOUT_UDP);
      if (tcp !== undefined) timeouts.tcpS = tcp;
      if (tcpFin !== undefined) timeouts.tcpFinS = tcpFin;
      if (udp !== undefined) timeouts.udpS = udp;
      return { kind: "set-config", timeouts };
    }
    case IPVS_CMD_GET_CONFIG:
      return { kind: "get-config" };
    case IPVS_CMD_GET_INFO:
      return { kind: "get-info" };
    case IPVS_CMD_ZERO: {
      if (!service) return { kind: "zero" };
      const ref = serviceRef();
      return "rejected" in ref ? ref : { kind: "zero", service: ref };
    }
    case IPVS_CMD_FLUSH:
      return { kind: "flush" };
    default:
      return { rejected: `IPVS command ${genl.cmd} is not one a client sends` };
  }
}
