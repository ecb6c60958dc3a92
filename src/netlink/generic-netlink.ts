// Generic netlink (<linux/genetlink.h>) over the netlink codec: the genlmsghdr (command,
// version) in front of a family's attributes, and the controller family that turns a name
// ("IPVS") into the family id the kernel allocated at boot. Pure; encoders for both
// directions, so that a fake kernel can answer in bytes and tests can round-trip.
import { AttributeIndex } from "./attribute-index.ts";
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_ATTR_HDRSIZE,
  CTRL_ATTR_MAXATTR,
  CTRL_ATTR_MCAST_GROUPS,
  CTRL_ATTR_MCAST_GRP_ID,
  CTRL_ATTR_MCAST_GRP_NAME,
  CTRL_ATTR_OPS,
  CTRL_ATTR_OP_FLAGS,
  CTRL_ATTR_OP_ID,
  CTRL_ATTR_VERSION,
  CTRL_CMD_GETFAMILY,
  CTRL_CMD_NEWFAMILY,
  CTRL_REQUEST_VERSION,
  GENL_HDRLEN,
  GENL_ID_CTRL,
  GENL_NAMSIZ,
} from "./generic-netlink-constants.ts";
import {
  attributeString,
  attributeU16,
  attributeU32,
  concatBytes,
  decodeAttributes,
  encodeMessage,
  encodeNestedAttribute,
  nestedAttributeMap,
  NLM_F_ACK,
  NLM_F_REQUEST,
  readString,
  readU16,
  readU32,
  type NetlinkHeader,
  type NetlinkMessage,
  type Rejection,
} from "./netlink-codec.ts";

export interface GenlMessageHeader {
  /** nlmsg_type: the family id. */
  family: number;
  flags: number;
  seq: number;
  /** The sender's port id; 0 from the kernel, and allowed from user space (the kernel fills it in). */
  pid?: number;
  cmd: number;
  version: number;
}

/** A netlink message whose payload is a genlmsghdr plus attributes. */
export function encodeGenlMessage(header: GenlMessageHeader, attributes: readonly Uint8Array[]): Uint8Array {
  const genl = new Uint8Array(GENL_HDRLEN);
  genl[0] = header.cmd;
  genl[1] = header.version;
  return encodeMessage({ type: header.family, flags: header.flags, seq: header.seq, pid: header.pid }, concatBytes([genl, ...attributes]));
}

export interface GenlMessage {
  header: NetlinkHeader;
  cmd: number;
  version: number;
  /** The top-level attributes, by type (first occurrence). */
  attributes: AttributeIndex;
}

/** The genlmsghdr and attributes of a message; `family`, when given, must be its type. */
export function decodeGenlMessage(message: NetlinkMessage, family?: number): GenlMessage | Rejection {
  const { header, payload } = message;
  if (family !== undefined && header.type !== family) return { rejected: `message type ${header.type} is not family ${family}` };
  if (payload.length < GENL_HDRLEN) return { rejected: `genlmsghdr needs ${GENL_HDRLEN} bytes, got ${payload.length}` };
  const attributes = new AttributeIndex(payload, GENL_HDRLEN);
  return { header, cmd: payload[0]!, version: payload[1]!, attributes };
}

/** One command of a family and its GENL_* capability flags. */
export interface GenlOperation {
  id: number;
  flags: number;
}

export interface GenlMulticastGroup {
  name: string;
  id: number;
}

/** What CTRL_CMD_GETFAMILY reports about a family. */
export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  /** The family's own header after genlmsghdr (0 for IPVS). */
  headerSize: number;
  maxAttribute: number;
  operations: GenlOperation[];
  multicastGroups: GenlMulticastGroup[];
}

/**
 * CTRL_CMD_GETFAMILY by name, byte for byte as libnl's genl_ctrl_resolve() sends it (and so
 * ipvsadm and keepalived): NLM_F_REQUEST|NLM_F_ACK, version 1, CTRL_ATTR_FAMILY_NAME only.
 */
export function encodeGetFamilyRequest(name: string, seq: number, pid = 0): Uint8Array {
  if (new TextEncoder().encode(name).length >= GENL_NAMSIZ) throw new RangeError(`family name "${name}" is longer than ${GENL_NAMSIZ - 1} bytes`);
  return encodeGenlMessage({ family: GENL_ID_CTRL, flags: NLM_F_REQUEST | NLM_F_ACK, seq, pid, cmd: CTRL_CMD_GETFAMILY, version: CTRL_REQUEST_VERSION }, [
    attributeString(CTRL_ATTR_FAMILY_NAME, name),
  ]);
}

/** The controller's CTRL_CMD_NEWFAMILY answer to GETFAMILY. */
export function decodeFamily(message: NetlinkMessage): GenlFamily | Rejection {
  const genl = decodeGenlMessage(message, GENL_ID_CTRL);
  if ("rejected" in genl) return genl;
  if (genl.cmd !== CTRL_CMD_NEWFAMILY) return { rejected: `controller command ${genl.cmd} is not CTRL_CMD_NEWFAMILY` };
  const id = readU16(genl.attributes.get(CTRL_ATTR_FAMILY_ID));
  const name = readString(genl.attributes.get(CTRL_ATTR_FAMILY_NAME));
  if (id === undefined) return { rejected: "CTRL_ATTR_FAMILY_ID is missing" };
  if (name === undefined) return { rejected: "CTRL_ATTR_FAMILY_NAME is missing" };
  // Both lists are nests of nests indexed 1..n; the index carries no meaning.
  const entries = (type: number): Map<number, Uint8Array>[] => {
    const list = genl.attributes.get(type);
    return list ? decodeAttributes(list).map((entry) => nestedAttributeMap(entry.data)) : [];
  };
  const operations: GenlOperation[] = [];
  for (const op of entries(CTRL_ATTR_OPS)) {
    const opId = readU32(op.get(CTRL_ATTR_OP_ID));
    if (opId !== undefined) operations.push({ id: opId, flags: readU32(op.get(CTRL_ATTR_OP_FLAGS)) ?? 0 });
  }
  const multicastGroups: GenlMulticastGroup[] = [];
  for (const group of entries(CTRL_ATTR_MCAST_GROUPS)) {
    const groupId = readU32(group.get(CTRL_ATTR_MCAST_GRP_ID));
    const groupName = readString(group.get(CTRL_ATTR_MCAST_GRP_NAME));
    if (groupId !== undefined && groupName !== undefined) multicastGroups.push({ name: groupName, id: groupId });
  }
  return {
    id,
    name,
    version: readU32(genl.attributes.get(CTRL_ATTR_VERSION)) ?? 0,
    headerSize: readU32(genl.attributes.get(CTRL_ATTR_HDRSIZE)) ?? 0,
    maxAttribute: readU32(genl.attributes.get(CTRL_ATTR_MAXATTR)) ?? 0,
    operations,
    multicastGroups,
  };
}

/** The kernel's answer (ctrl_fill_info's layout and order), for fakes and round trips. */
export function encodeFamilyReply(family: GenlFamily, seq: number, portId: number): Uint8Array {
  const attributes = [
    attributeString(CTRL_ATTR_FAMILY_NAME, family.name),
    attributeU16(CTRL_ATTR_FAMILY_ID, family.id),
    attributeU32(CTRL_ATTR_VERSION, family.version),
    attributeU32(CTRL_ATTR_HDRSIZE, family.headerSize),
    attributeU32(CTRL_ATTR_MAXATTR, family.maxAttribute),
  ];
  const list = (type: number, entries: Uint8Array[][]): Uint8Array =>
    encodeNestedAttribute(
      type,
      entries.map((children, index) => encodeNestedAttribute(index + 1, children, false)),
      false,
    );
  if (family.operations.length > 0) {
    attributes.push(
      list(
        CTRL_ATTR_OPS,
        family.operations.map((op) => [attributeU32(CTRL_ATTR_OP_ID, op.id), attributeU32(CTRL_ATTR_OP_FLAGS, op.flags)]),
      ),
    );
  }
  if (family.multicastGroups.length > 0) {
    attributes.push(
      list(
        CTRL_ATTR_MCAST_GROUPS,
        family.multicastGroups.map((group) => [attributeU32(CTRL_ATTR_MCAST_GRP_ID, group.id), attributeString(CTRL_ATTR_MCAST_GRP_NAME, group.name)]),
      ),
    );
  }
  // The controller answers in its own version, 2.
  return encodeGenlMessage({ family: GENL_ID_CTRL, flags: 0, seq, pid: portId, cmd: CTRL_CMD_NEWFAMILY, version: 2 }, attributes);
}
