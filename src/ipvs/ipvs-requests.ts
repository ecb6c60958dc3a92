// IPVS generic-netlink requests as values, and their bytes: exactly what ipvsadm 1.31 sends
// (test/fixtures/ipvs holds its requests, captured from the appliance kernel), and back, so
// that a fake kernel can read what the director sends. Every request asks for an ack, so a
// batch of them can be matched to its answers by sequence number. Pure.
import { decodeGenlMessage, encodeGenlMessage } from "../netlink/generic-netlink.ts";
import {
  attributeString,
  attributeU32,
  encodeNestedAttribute,
  nestedAttributeMap,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  readString,
  readU32,
  type NetlinkMessage,
  type Rejection,
} from "../netlink/netlink-codec.ts";
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
import { decodeDaemonAttributes, encodeDaemonAttributes, syncStateNumber, syncStateOf } from "./ipvs-daemon-attributes.ts";
import {
  decodeDestinationKey,
  decodeDestinationSpec,
  encodeDestinationAttributes,
  encodeDestinationKeyAttributes,
  hasDestinationSettings,
} from "./ipvs-destination-attributes.ts";
import { decodeServiceKey, decodeServiceSpec, encodeServiceAttributes, encodeServiceKeyAttributes, hasServiceSettings } from "./ipvs-service-attributes.ts";
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

function serviceNest(service: ServiceRef): Uint8Array {
  let nest = serviceNests.get(service);
  if (!nest) {
    nest = encodeNestedAttribute(IPVS_CMD_ATTR_SERVICE, isServiceSpec(service) ? encodeServiceAttributes(service) : encodeServiceKeyAttributes(service));
    serviceNests.set(service, nest);
  }
  return nest;
}

function attributesOf(request: IpvsRequest): Uint8Array[] {
  switch (request.kind) {
    case "new-service":
    case "set-service":
    case "del-service":
    case "get-service":
      return [serviceNest(request.service)];
    case "get-destinations":
      return [serviceNest(request.service)];
    case "new-destination":
    case "set-destination":
      return [serviceNest(request.service), encodeNestedAttribute(IPVS_CMD_ATTR_DEST, encodeDestinationAttributes(request.destination))];
    case "del-destination": {
      const { destination } = request;
      const dest = isDestinationSpec(destination) ? encodeDestinationAttributes(destination) : encodeDestinationKeyAttributes(destination);
      return [serviceNest(request.service), encodeNestedAttribute(IPVS_CMD_ATTR_DEST, dest)];
    }
    case "new-daemon":
      return [encodeNestedAttribute(IPVS_CMD_ATTR_DAEMON, encodeDaemonAttributes(request.daemon))];
    case "del-daemon":
      return [
        encodeNestedAttribute(IPVS_CMD_ATTR_DAEMON, [
          attributeU32(IPVS_DAEMON_ATTR_STATE, syncStateNumber(request.state)),
          attributeString(IPVS_DAEMON_ATTR_MCAST_IFN, request.interfaceName ?? ""),
          attributeU32(IPVS_DAEMON_ATTR_SYNC_ID, request.syncId ?? 0),
        ]),
      ];
    case "set-config": {
      const { tcpS, tcpFinS, udpS } = request.timeouts;
      const attributes: Uint8Array[] = [];
      if (tcpS !== undefined) attributes.push(attributeU32(IPVS_CMD_ATTR_TIMEOUT_TCP, tcpS));
      if (tcpFinS !== undefined) attributes.push(attributeU32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, tcpFinS));
      if (udpS !== undefined) attributes.push(attributeU32(IPVS_CMD_ATTR_TIMEOUT_UDP, udpS));
      return attributes;
    }
    case "zero":
      return request.service ? [serviceNest(request.service)] : [];
    case "get-services":
    case "get-daemons":
    case "get-config":
    case "get-info":
    case "flush":
      return [];
  }
}

/** One request as a whole netlink message to the IPVS family (its id from the controller). */
export function encodeIpvsRequest(familyId: number, request: IpvsRequest, seq: number, pid = 0): Uint8Array {
  const flags = NLM_F_REQUEST | NLM_F_ACK | (isDumpRequest(request) ? NLM_F_DUMP : 0);
  return encodeGenlMessage({ family: familyId, flags, seq, pid, cmd: ipvsCommandOf(request), version: IPVS_GENL_VERSION }, attributesOf(request));
}

/** A request back from its bytes, as the kernel reads it; for fake kernels and round trips. */
export function decodeIpvsRequest(message: NetlinkMessage, familyId: number): IpvsRequest | Rejection {
  const genl = decodeGenlMessage(message, familyId);
  if ("rejected" in genl) return genl;
  const nest = (type: number): Map<number, Uint8Array> | undefined => {
    const data = genl.attributes.get(type);
    return data ? nestedAttributeMap(data) : undefined;
  };
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
      const stateNumber = readU32(daemonNest.get(IPVS_DAEMON_ATTR_STATE));
      const state = stateNumber === undefined ? undefined : syncStateOf(stateNumber);
      if (state === undefined) return { rejected: `IPVS_DAEMON_ATTR_STATE is ${stateNumber ?? "missing"}, not IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP` };
      const request: IpvsRequest = { kind: "del-daemon", state };
      const interfaceName = readString(daemonNest.get(IPVS_DAEMON_ATTR_MCAST_IFN));
      const syncId = readU32(daemonNest.get(IPVS_DAEMON_ATTR_SYNC_ID));
      if (interfaceName !== undefined) request.interfaceName = interfaceName;
      if (syncId !== undefined) request.syncId = syncId;
      return request;
    }
    case IPVS_CMD_GET_DAEMON:
      return { kind: "get-daemons" };
    case IPVS_CMD_SET_CONFIG: {
      const timeouts: Partial<IpvsTimeouts> = {};
      const tcp = readU32(genl.attributes.get(IPVS_CMD_ATTR_TIMEOUT_TCP));
      const tcpFin = readU32(genl.attributes.get(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN));
      const udp = readU32(genl.attributes.get(IPVS_CMD_ATTR_TIMEOUT_UDP));
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
