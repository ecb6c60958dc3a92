// Generic netlink: the genlmsghdr and the controller family, on captures from real kernels.
import { describe, expect, test } from "bun:test";
import { decodeFamily, decodeGenlMessage, encodeFamilyReply, encodeGenlMessage, encodeGetFamilyRequest } from "../../../src/netlink/generic-netlink.ts";
import {
  CTRL_CMD_GETFAMILY,
  GENL_ADMIN_PERM,
  GENL_CMD_CAP_DO,
  GENL_CMD_CAP_DUMP,
  GENL_CMD_CAP_HASPOL,
  GENL_ID_CTRL,
} from "../../../src/netlink/generic-netlink-constants.ts";
import { attributeU32, decodeMessages, encodeMessage, NLM_F_ACK, NLM_F_REQUEST, readU32 } from "../../../src/netlink/netlink-codec.ts";
import { hex, loadExchange, messageBytes, receivedMessages, sentMessages } from "../ipvs/support/captures.ts";

const ipvsadm = loadExchange("new-service-tcp-wrr");
const [getFamily] = sentMessages(ipvsadm);
const [familyReply] = receivedMessages(ipvsadm);
const nlctrl = loadExchange("host-ctrl-getfamily-nlctrl");

describe("the controller family", () => {
  test("CTRL_CMD_GETFAMILY for IPVS is byte for byte what ipvsadm (libnl) sends", () => {
    const { seq, pid } = getFamily!.header;
    expect(hex(encodeGetFamilyRequest("IPVS", seq, pid))).toBe(hex(messageBytes(getFamily!)));
  });

  test("the appliance kernel's answer: IPVS's id, version, maxattr and its 16 commands", () => {
    const family = decodeFamily(familyReply!);
    if ("rejected" in family) throw new Error(family.rejected);
    expect(family).toMatchObject({ id: 0x20, name: "IPVS", version: 1, headerSize: 0, maxAttribute: 6, multicastGroups: [] });
    expect(family.operations.map((op) => op.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17]);
    // GET_SERVICE can dump and do; GET_DEST only dump; all need CAP_NET_ADMIN.
    const flagsOf = (id: number): number => family.operations.find((op) => op.id === id)!.flags;
    expect(flagsOf(4)).toBe(GENL_ADMIN_PERM | GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP | GENL_CMD_CAP_HASPOL);
    expect(flagsOf(8)).toBe(GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP | GENL_CMD_CAP_HASPOL);
    expect(flagsOf(1)).toBe(GENL_ADMIN_PERM | GENL_CMD_CAP_DO | GENL_CMD_CAP_HASPOL);
  });

  test("multicast groups, from the host kernel's nlctrl family", () => {
    const reply = receivedMessages(nlctrl)[0]!;
    const family = decodeFamily(reply);
    if ("rejected" in family) throw new Error(family.rejected);
    expect(family).toMatchObject({ id: GENL_ID_CTRL, name: "nlctrl", version: 2, maxAttribute: 0 });
    expect(family.multicastGroups).toEqual([{ name: "notify", id: 0x10 }]);
    expect(family.operations).toEqual([
      { id: 3, flags: 0xe },
      { id: 10, flags: 0xc },
    ]);
  });

  test("encodeFamilyReply rebuilds both kernels' answers exactly", () => {
    for (const reply of [familyReply!, receivedMessages(nlctrl)[0]!]) {
      const family = decodeFamily(reply);
      if ("rejected" in family) throw new Error(family.rejected);
      expect(hex(encodeFamilyReply(family, reply.header.seq, reply.header.pid))).toBe(hex(messageBytes(reply)));
    }
  });

  test("a family name too long for GENL_NAMSIZ is refused before it is sent", () => {
    expect(() => encodeGetFamilyRequest("A".repeat(16), 1)).toThrow("longer than 15 bytes");
    expect(() => encodeGetFamilyRequest("A".repeat(15), 1)).not.toThrow();
  });

  test("what is not a family answer is rejected with a reason", () => {
    expect(decodeFamily(getFamily!)).toEqual({ rejected: "controller command 3 is not CTRL_CMD_NEWFAMILY" });
    const other = decodeMessages(encodeGenlMessage({ family: 0x20, flags: 0, seq: 1, cmd: 1, version: 1 }, [])).messages[0]!;
    expect(decodeFamily(other)).toEqual({ rejected: "message type 32 is not family 16" });
    const noId = decodeMessages(encodeGenlMessage({ family: GENL_ID_CTRL, flags: 0, seq: 1, cmd: 1, version: 2 }, [])).messages[0]!;
    expect(decodeFamily(noId)).toEqual({ rejected: "CTRL_ATTR_FAMILY_ID is missing" });
  });
});

describe("genlmsghdr", () => {
  test("command and version follow the netlink header, then the attributes", () => {
    const bytes = encodeGenlMessage({ family: 0x20, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 9, pid: 0, cmd: 15, version: 1 }, [attributeU32(1, 7)]);
    expect(hex(bytes)).toBe("1c000000" + "2000" + "0500" + "09000000" + "00000000" + "0f010000" + "08000100" + "07000000");
    const genl = decodeGenlMessage(decodeMessages(bytes).messages[0]!, 0x20);
    if ("rejected" in genl) throw new Error(genl.rejected);
    expect([genl.cmd, genl.version, readU32(genl.attributes.get(1))]).toEqual([15, 1, 7]);
  });

  test("a payload shorter than genlmsghdr is rejected, not thrown", () => {
    const short = decodeMessages(encodeMessage({ type: 0x20, flags: 0, seq: 1 }, new Uint8Array([CTRL_CMD_GETFAMILY, 1]))).messages[0]!;
    expect(decodeGenlMessage(short)).toEqual({ rejected: "genlmsghdr needs 4 bytes, got 2" });
  });
});
