// IPVS replies from the appliance kernel (test/fixtures/ipvs): dumps of services and
// destinations with their counters, GET_INFO, GET_CONFIG, GET_DAEMON. Decoded values are held
// against what ipvsadm printed from the same bytes; the encoders must rebuild the kernel's bytes.
import { describe, expect, test } from "bun:test";
import {
  decodeConfigReply,
  decodeDaemonReply,
  decodeDestinationDump,
  decodeDestinationReply,
  decodeInfoReply,
  decodeServiceDump,
  decodeServiceReply,
  encodeConfigReply,
  encodeDaemonReply,
  encodeDestinationReply,
  encodeInfoReply,
  encodeServiceReply,
  observedService,
  type ReplyTo,
  type ServiceEntry,
} from "../../../src/ipvs/ipvs-replies.ts";
import { decodeIpvsRequest } from "../../../src/ipvs/ipvs-requests.ts";
import { ZERO_COUNTERS } from "../../../src/ipvs/ipvs-stats-attributes.ts";
import {
  IPVS_CMD_GET_CONFIG,
  IPVS_CMD_GET_DAEMON,
  IPVS_CMD_GET_DEST,
  IPVS_CMD_GET_INFO,
  IPVS_CMD_GET_SERVICE,
  IPVS_DEST_ATTR_STATS64,
  IPVS_SVC_ATTR_STATS64,
} from "../../../src/ipvs/ip-vs-constants.ts";
import type { ObservedDestination } from "../../../src/ipvs/types.ts";
import { encodeGenlMessage } from "../../../src/netlink/generic-netlink.ts";
import { attributeU16, decodeMessages, encodeNestedAttribute, NLMSG_DONE, NLM_F_MULTI, type NetlinkMessage } from "../../../src/netlink/netlink-codec.ts";
import { answersTo, hex, ipvsFamilyId, ipvsRequests, loadExchange, messageBytes, theRequest, type Exchange } from "./support/captures.ts";
import { listing, printedListing, sorted, type Columns } from "./support/ipvsadm-listing.ts";
import { destination, flags, ip, service, tcp } from "./support/table-values.ts";

const dataOf = (messages: NetlinkMessage[]): NetlinkMessage[] => messages.filter((m) => m.header.type !== NLMSG_DONE && m.header.type !== 2);

/** The table the kernel dumped in one `ipvsadm -L -n` run: services with their destinations. */
function dumpedTable(exchange: Exchange) {
  const family = ipvsFamilyId(exchange);
  const dumpRequest = ipvsRequests(exchange).find((r) => r.cmd === IPVS_CMD_GET_SERVICE)!.message;
  const services = decodeServiceDump(dataOf(answersTo(exchange, dumpRequest)), family);
  expect(services.rejected).toEqual([]);
  return services.entries.map((entry) => {
    const request = ipvsRequests(exchange)
      .filter((r) => r.cmd === IPVS_CMD_GET_DEST)
      .find((r) => JSON.stringify(decodeIpvsRequest(r.message, family)) === JSON.stringify({ kind: "get-destinations", service: entry.spec.key }))!.message;
    const family4or6 = entry.spec.key.kind === "fwmark" ? entry.spec.key.family : entry.spec.key.address.family;
    const destinations = decodeDestinationDump(dataOf(answersTo(exchange, request)), family4or6, family);
    expect(destinations.rejected).toEqual([]);
    return { ...entry, destinations: destinations.entries };
  });
}

describe("dumps, read as ipvsadm read them", () => {
  const cases: [string, Columns][] = [
    ["list-numeric", "connections"],
    ["list-stats", "stats"],
    ["list-rates", "rate"],
  ];
  for (const [name, columns] of cases) {
    test(`${loadExchange(name).command}: every service and destination line`, () => {
      const exchange = loadExchange(name);
      expect(sorted(listing(dumpedTable(exchange), columns))).toEqual(sorted(printedListing(exchange.printed)));
      expect(printedListing(exchange.printed)).toHaveLength(7);
    });
  }

  test("the service with traffic: its counters, and its one destination's, as ipvsadm printed them", () => {
    const exchange = loadExchange("list-stats");
    const busy = dumpedTable(exchange).find((s) => s.spec.key.kind === "address" && s.spec.key.address.text === "10.0.0.100")!;
    expect(busy.spec).toEqual(service(tcp("10.0.0.100", 80), "rr"));
    // Packet and byte counts vary with TCP's timing from one capture to the next; capture.ts makes 20 connections.
    const [conns, inPkts, outPkts, inBytes, outBytes] = exchange.printed
      .find((line) => line.startsWith("TCP  10.0.0.100:80"))!
      .trim()
      .split(/\s+/)
      .slice(2)
      .map(Number);
    expect(conns).toBe(20);
    expect(busy.stats).toMatchObject({ connections: conns, packetsIn: inPkts, packetsOut: outPkts, bytesIn: inBytes, bytesOut: outBytes });
    expect(busy.destinations).toEqual([
      {
        ...destination("10.0.0.100", 8080, "masquerade", 1),
        stats: { ...busy.stats, activeConnections: 0, inactiveConnections: 20, persistentConnections: 0 },
      },
    ]);
  });

  test("tunnel destinations keep their encapsulation; others have none", () => {
    const table = dumpedTable(loadExchange("list-numeric"));
    const vip = table.find((s) => s.spec.key.kind === "address" && s.spec.key.address.text === "10.0.0.1" && s.spec.key.protocol === "TCP")!;
    const byAddress = new Map(vip.destinations.map((d) => [d.address.text, d]));
    expect(byAddress.get("10.0.0.4")?.tunnel).toEqual({ type: "ipip", port: 0, checksum: "nocsum" });
    expect(byAddress.get("10.0.0.5")?.tunnel).toEqual({ type: "gue", port: 6080, checksum: "nocsum" });
    expect(byAddress.get("10.0.0.6")?.tunnel).toEqual({ type: "gre", port: 0, checksum: "csum" });
    expect(byAddress.get("10.0.0.3")).toMatchObject({ forward: "direct-route", upperThreshold: 100, lowerThreshold: 10 });
    expect(byAddress.get("10.0.0.2")?.tunnel).toBeUndefined();
    expect(observedService(vip, vip.destinations)).toEqual({ ...vip.spec, destinations: vip.destinations });
  });

  test("persistence and netmasks per family, and the flags without HASHED", () => {
    const table = dumpedTable(loadExchange("list-numeric"));
    const specs = table.map((s) => s.spec);
    expect(specs).toContainEqual(
      service(tcp("10.0.0.7", 443), "sh", { flags: flags({ persistent: true, sched1: true, sched2: true }), timeoutS: 600, netmask: 0xffffff00 }),
    );
    expect(specs).toContainEqual(service({ kind: "fwmark", family: 6, fwmark: 9 }, "rr", { flags: flags({ persistent: true }), timeoutS: 300, netmask: 64 }));
    expect(specs).toContainEqual(service(tcp("2001:db8::1", 80), "wlc"));
  });

  test("GET_SERVICE for one service: a reply without NLM_F_MULTI", () => {
    const exchange = loadExchange("get-service-one");
    const request = theRequest(exchange, IPVS_CMD_GET_SERVICE).message;
    const [reply] = answersTo(exchange, request);
    expect(reply!.header.flags & NLM_F_MULTI).toBe(0);
    const entry = decodeServiceReply(reply!, ipvsFamilyId(exchange));
    expect(entry).toEqual({
      spec: service(tcp("10.0.0.7", 443), "sh", { flags: flags({ persistent: true, sched1: true, sched2: true }), timeoutS: 600, netmask: 0xffffff00 }),
      stats: ZERO_COUNTERS,
    });
  });
});

describe("settings", () => {
  test("GET_INFO: IPVS 1.2.1 with a 4096-entry connection table, as ipvsadm printed", () => {
    const exchange = loadExchange("list-numeric");
    const [reply] = answersTo(exchange, theRequest(exchange, IPVS_CMD_GET_INFO).message);
    expect(decodeInfoReply(reply!, 0x20)).toEqual({ versionCode: 0x010201, version: "1.2.1", connectionTableSize: 4096 });
    expect(exchange.printed[0]).toBe("IP Virtual Server version 1.2.1 (size=4096)");
  });

  test("GET_CONFIG: the timeouts set just before", () => {
    const exchange = loadExchange("get-config-timeouts");
    const [reply] = answersTo(exchange, theRequest(exchange, IPVS_CMD_GET_CONFIG).message);
    expect(decodeConfigReply(reply!, 0x20)).toEqual({ tcpS: 900, tcpFinS: 120, udpS: 300 });
    expect(exchange.printed).toEqual(["Timeout (tcp tcpfin udp): 900 120 300"]);
  });

  test("GET_DAEMON: the master and the backup with every default filled in", () => {
    const exchange = loadExchange("get-daemon");
    const parts = dataOf(answersTo(exchange, theRequest(exchange, IPVS_CMD_GET_DAEMON).message));
    expect(parts.map((part) => decodeDaemonReply(part, 0x20))).toEqual([
      { state: "master", interfaceName: "eth0", syncId: 5, maxLength: 1472, group: ip("224.0.0.81"), port: 8848, ttl: 1 },
      { state: "backup", interfaceName: "eth0", syncId: 6, maxLength: 1400, group: ip("224.0.0.90"), port: 8850, ttl: 2 },
    ]);
    expect(exchange.printed).toEqual([
      "master sync daemon (mcast=eth0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)",
      "backup sync daemon (mcast=eth0, syncid=6, maxlen=1400, group=224.0.0.90, port=8850, ttl=2)",
    ]);
  });
});

describe("reply encoders rebuild the kernel's bytes", () => {
  const replyTo = (message: NetlinkMessage): ReplyTo => ({
    familyId: message.header.type,
    seq: message.header.seq,
    portId: message.header.pid,
    dumpPart: (message.header.flags & NLM_F_MULTI) !== 0,
  });

  test("every service and destination dump part of ipvsadm -L -n --stats", () => {
    const exchange = loadExchange("list-stats");
    const family = ipvsFamilyId(exchange);
    let checked = 0;
    for (const { message: request, cmd } of ipvsRequests(exchange)) {
      for (const reply of dataOf(answersTo(exchange, request))) {
        if (cmd === IPVS_CMD_GET_SERVICE) {
          const entry = decodeServiceReply(reply, family) as ServiceEntry;
          expect(hex(encodeServiceReply(replyTo(reply), entry))).toBe(hex(messageBytes(reply)));
          checked++;
        } else if (cmd === IPVS_CMD_GET_DEST) {
          const dest = decodeDestinationReply(reply, 4, family) as ObservedDestination;
          expect(hex(encodeDestinationReply(replyTo(reply), dest))).toBe(hex(messageBytes(reply)));
          checked++;
        }
      }
    }
    expect(checked).toBe(7 + 8); // seven services, eight destinations
  });

  test("GET_INFO, GET_CONFIG and GET_DAEMON", () => {
    const info = loadExchange("list-numeric");
    const [infoReply] = answersTo(info, theRequest(info, IPVS_CMD_GET_INFO).message);
    expect(hex(encodeInfoReply(replyTo(infoReply!), { versionCode: 0x010201, connectionTableSize: 4096 }))).toBe(hex(messageBytes(infoReply!)));
    const config = loadExchange("get-config-timeouts");
    const [configReply] = answersTo(config, theRequest(config, IPVS_CMD_GET_CONFIG).message);
    expect(hex(encodeConfigReply(replyTo(configReply!), { tcpS: 900, tcpFinS: 120, udpS: 300 }))).toBe(hex(messageBytes(configReply!)));
    const daemons = loadExchange("get-daemon");
    for (const part of dataOf(answersTo(daemons, theRequest(daemons, IPVS_CMD_GET_DAEMON).message))) {
      const status = decodeDaemonReply(part, 0x20);
      if ("rejected" in status) throw new Error(status.rejected);
      expect(hex(encodeDaemonReply(replyTo(part), status))).toBe(hex(messageBytes(part)));
    }
  });
});

describe("round trips and older kernels", () => {
  const to: ReplyTo = { familyId: 0x20, seq: 5, portId: 77, dumpPart: true };
  const big = { ...ZERO_COUNTERS, connections: 2 ** 33 + 5, packetsIn: 2 ** 40, bytesOut: 2 ** 50, bytesInPerSecond: 12_345 };

  test("a service with counters past 32 bits comes back whole from STATS64", () => {
    const entry: ServiceEntry = {
      spec: service(tcp("2001:db8::7", 443), "mh", { flags: flags({ sched1: true, sched2: true }), persistenceEngine: "sip" }),
      stats: big,
    };
    const [message] = decodeMessages(encodeServiceReply(to, entry)).messages;
    expect(decodeServiceReply(message!, 0x20)).toEqual(entry);
  });

  test("a destination in every forwarding method and tunnel flavour", () => {
    const stats = { ...big, activeConnections: 3, inactiveConnections: 4, persistentConnections: 5 };
    const destinations: ObservedDestination[] = [
      { ...destination("10.1.1.1", 80, "masquerade", 0), stats },
      { ...destination("10.1.1.2", 80, "local", 1), stats },
      { ...destination("10.1.1.3", 80, "direct-route", 7, { upperThreshold: 9, lowerThreshold: 2 }), stats },
      { ...destination("10.1.1.4", 80, "bypass", 1), stats },
      { ...destination("2001:db8::4", 80, "tunnel", 1, { tunnel: { type: "gue", port: 5555, checksum: "remcsum" } }), stats },
      { ...destination("10.1.1.5", 80, "tunnel", 1, { tunnel: { type: "gre", port: 0, checksum: "csum" } }), stats },
    ];
    for (const dest of destinations) {
      const [message] = decodeMessages(encodeDestinationReply(to, dest)).messages;
      // The destination's own family wins over the service's (a v6 tunnel in a v4 service).
      expect(decodeDestinationReply(message!, 4, 0x20)).toEqual(dest);
    }
  });

  test("without STATS64 (kernels before 4.1) the 32-bit nest is read instead", () => {
    const entry: ServiceEntry = { spec: service(tcp("10.0.0.1", 80), "rr"), stats: { ...ZERO_COUNTERS, connections: 7, bytesIn: 2 ** 40 } };
    const [message] = decodeMessages(encodeServiceReply(to, entry)).messages;
    const withoutStats64 = stripNested(message!, IPVS_SVC_ATTR_STATS64);
    expect(decodeServiceReply(withoutStats64, 0x20)).toEqual(entry);
    const dest: ObservedDestination = {
      ...destination("10.0.0.2", 80, "masquerade", 1),
      stats: { ...entry.stats, activeConnections: 1, inactiveConnections: 0, persistentConnections: 0 },
    };
    const [destMessage] = decodeMessages(encodeDestinationReply(to, dest)).messages;
    expect(decodeDestinationReply(stripNested(destMessage!, IPVS_DEST_ATTR_STATS64), 4, 0x20)).toEqual(dest);
  });
});

/** The same reply with one attribute of the first-level nest left out (as an older kernel would). */
function stripNested(message: NetlinkMessage, drop: number): NetlinkMessage {
  const nest = message.payload.subarray(8, 4 + new DataView(message.payload.buffer, message.payload.byteOffset + 4).getUint16(0, true));
  const kept: Uint8Array[] = [];
  for (let offset = 0; offset + 4 <= nest.length;) {
    const view = new DataView(nest.buffer, nest.byteOffset + offset);
    const length = view.getUint16(0, true);
    if ((view.getUint16(2, true) & 0x3fff) !== drop) kept.push(nest.slice(offset, offset + ((length + 3) & ~3)));
    offset += (length + 3) & ~3;
  }
  const outerType = new DataView(message.payload.buffer, message.payload.byteOffset + 4).getUint16(2, true);
  const bytes = encodeGenlMessage(
    { family: message.header.type, flags: message.header.flags, seq: message.header.seq, pid: message.header.pid, cmd: message.payload[0]!, version: 1 },
    [encodeNestedAttribute(outerType, kept, false)],
  );
  return decodeMessages(bytes).messages[0]!;
}

describe("what the kernel should never send is a reason, not an exception", () => {
  const genl = (cmd: number, attributes: Uint8Array[]): NetlinkMessage =>
    decodeMessages(encodeGenlMessage({ family: 0x20, flags: NLM_F_MULTI, seq: 1, cmd, version: 1 }, attributes)).messages[0]!;
  const exchange = loadExchange("list-numeric");
  const dumpRequest = ipvsRequests(exchange).find((r) => r.cmd === IPVS_CMD_GET_SERVICE)!.message;
  const kernelService = dataOf(answersTo(exchange, dumpRequest))[0]!;

  test("wrong command, missing nest, truncated payload", () => {
    expect(decodeServiceReply(genl(5, []))).toEqual({ rejected: "IPVS command 5 is not IPVS_CMD_NEW_SERVICE" });
    expect(decodeServiceReply(genl(1, []))).toEqual({ rejected: "IPVS_CMD_ATTR_SERVICE is missing" });
    expect(decodeDestinationReply(genl(5, []), 4)).toEqual({ rejected: "IPVS_CMD_ATTR_DEST is missing" });
    expect(decodeDaemonReply(genl(9, [encodeNestedAttribute(3, [])]))).toEqual({ rejected: "IPVS_DAEMON_ATTR_STATE is missing" });
    expect(decodeInfoReply(genl(14, []))).toEqual({ rejected: "IPVS_INFO_ATTR_VERSION is missing" });
    expect(decodeConfigReply(genl(12, []))).toMatchObject({ rejected: expect.stringContaining("IPVS_CMD_ATTR_TIMEOUT_TCP") });
    // Every cut of a real dump part decodes to a value or a reason, never an exception.
    const whole = messageBytes(kernelService);
    for (let length = 16; length < whole.length; length += 4) {
      const cut = whole.slice(0, length);
      new DataView(cut.buffer).setUint32(0, length, true);
      const result = decodeServiceReply(decodeMessages(cut).messages[0]!, 0x20);
      expect("rejected" in result || "spec" in result).toBe(true);
    }
  });

  test("an unknown address family or protocol", () => {
    const nest = (af: number, protocol: number) =>
      genl(1, [
        encodeNestedAttribute(1, [
          attributeU16(1, af),
          attributeU16(2, protocol),
          new Uint8Array([20, 0, 3, 0, ...new Array(16).fill(0)]),
          new Uint8Array([6, 0, 4, 0, 0, 80, 0, 0]),
        ]),
      ]);
    expect(decodeServiceReply(nest(7, 6))).toEqual({ rejected: "service address family 7 is neither AF_INET nor AF_INET6" });
    expect(decodeServiceReply(nest(2, 50))).toEqual({ rejected: "service protocol 50 is not TCP, UDP or SCTP" });
    expect(decodeServiceReply(nest(2, 6))).toEqual({ rejected: "IPVS_SVC_ATTR_SCHED_NAME is missing" });
  });
});
