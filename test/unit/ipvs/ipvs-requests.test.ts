// IPVS requests: the encoder against ipvsadm 1.31's own bytes on the appliance kernel (one
// capture per operation, test/fixtures/ipvs), the decoder on the same bytes, and round trips.
import { describe, expect, test } from "bun:test";
import { decodeIpvsRequest, encodeIpvsRequest, type IpvsRequest } from "../../../src/ipvs/ipvs-requests.ts";
import {
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
} from "../../../src/ipvs/ip-vs-constants.ts";
import { decodeMessages, encodeMessage } from "../../../src/netlink/netlink-codec.ts";
import { encodeGenlMessage } from "../../../src/netlink/generic-netlink.ts";
import { hex, ipvsFamilyId, ipvsRequests, loadExchange, messageBytes, theRequest } from "./support/captures.ts";
import { asIpvsadmSendsIt, destination, flags, fwmark, ip, service, tcp, udp } from "./support/table-values.ts";

const vip = tcp("10.0.0.1", 80);

/** Fixture, the command ipvsadm sent for it, and the request that means the same. */
const golden: [string, number, IpvsRequest][] = [
  ["new-service-tcp-wrr", IPVS_CMD_NEW_SERVICE, { kind: "new-service", service: service(vip, "wrr") }],
  ["new-service-exists", IPVS_CMD_NEW_SERVICE, { kind: "new-service", service: service(vip, "wrr") }],
  ["set-service-rr", IPVS_CMD_SET_SERVICE, { kind: "set-service", service: service(vip, "rr") }],
  ["new-service-udp-ops", IPVS_CMD_NEW_SERVICE, { kind: "new-service", service: service(udp("10.0.0.1", 53), "rr", { flags: flags({ onePacket: true }) }) }],
  [
    "new-service-persistent-netmask",
    IPVS_CMD_NEW_SERVICE,
    {
      kind: "new-service",
      service: service(tcp("10.0.0.7", 443), "sh", { flags: flags({ persistent: true, sched1: true, sched2: true }), timeoutS: 600, netmask: 0xffffff00 }),
    },
  ],
  ["new-service-fwmark", IPVS_CMD_NEW_SERVICE, { kind: "new-service", service: service(fwmark(7), "lc") }],
  ["new-service-v6", IPVS_CMD_NEW_SERVICE, { kind: "new-service", service: service(tcp("2001:db8::1", 80), "wlc") }],
  [
    "new-service-fwmark-v6-persistent",
    IPVS_CMD_NEW_SERVICE,
    { kind: "new-service", service: service(fwmark(9, 6), "rr", { flags: flags({ persistent: true }), timeoutS: 300, netmask: 64 }) },
  ],
  [
    "new-service-sip-pe",
    IPVS_CMD_NEW_SERVICE,
    { kind: "new-service", service: service(udp("10.0.0.8", 5060), "rr", { flags: flags({ persistent: true }), timeoutS: 60, persistenceEngine: "sip" }) },
  ],
  ["del-service-tcp", IPVS_CMD_DEL_SERVICE, { kind: "del-service", service: asIpvsadmSendsIt(vip) }],
  ["del-service-missing", IPVS_CMD_DEL_SERVICE, { kind: "del-service", service: asIpvsadmSendsIt(tcp("10.9.9.9", 80)) }],
  ["get-service-one", IPVS_CMD_GET_SERVICE, { kind: "get-service", service: asIpvsadmSendsIt(tcp("10.0.0.7", 443), 0) }],
  ["get-service-one", IPVS_CMD_GET_DEST, { kind: "get-destinations", service: tcp("10.0.0.7", 443) }],
  [
    "new-dest-masq-weight-3",
    IPVS_CMD_NEW_DEST,
    { kind: "new-destination", service: asIpvsadmSendsIt(vip), destination: destination("10.0.0.2", 80, "masquerade", 3) },
  ],
  [
    "new-dest-droute-thresholds",
    IPVS_CMD_NEW_DEST,
    {
      kind: "new-destination",
      service: asIpvsadmSendsIt(vip),
      destination: destination("10.0.0.3", 80, "direct-route", 1, { upperThreshold: 100, lowerThreshold: 10 }),
    },
  ],
  [
    "new-dest-tunnel-ipip",
    IPVS_CMD_NEW_DEST,
    {
      kind: "new-destination",
      service: asIpvsadmSendsIt(vip),
      destination: destination("10.0.0.4", 80, "tunnel", 1, { tunnel: { type: "ipip", port: 0, checksum: "nocsum" } }),
    },
  ],
  [
    "new-dest-tunnel-gue-nocsum",
    IPVS_CMD_NEW_DEST,
    {
      kind: "new-destination",
      service: asIpvsadmSendsIt(vip),
      destination: destination("10.0.0.5", 80, "tunnel", 2, { tunnel: { type: "gue", port: 6080, checksum: "nocsum" } }),
    },
  ],
  [
    "new-dest-tunnel-gre-csum",
    IPVS_CMD_NEW_DEST,
    {
      kind: "new-destination",
      service: asIpvsadmSendsIt(vip),
      destination: destination("10.0.0.6", 80, "tunnel", 2, { tunnel: { type: "gre", port: 0, checksum: "csum" } }),
    },
  ],
  [
    "new-dest-fwmark",
    IPVS_CMD_NEW_DEST,
    { kind: "new-destination", service: asIpvsadmSendsIt(fwmark(7)), destination: destination("10.0.0.9", 0, "direct-route", 4) },
  ],
  [
    "new-dest-v6",
    IPVS_CMD_NEW_DEST,
    { kind: "new-destination", service: asIpvsadmSendsIt(tcp("2001:db8::1", 80)), destination: destination("2001:db8::2", 8080, "masquerade", 2) },
  ],
  [
    "set-dest-weight-5",
    IPVS_CMD_SET_DEST,
    { kind: "set-destination", service: asIpvsadmSendsIt(vip), destination: destination("10.0.0.2", 80, "masquerade", 5) },
  ],
  [
    "del-dest-droute",
    IPVS_CMD_DEL_DEST,
    { kind: "del-destination", service: asIpvsadmSendsIt(vip), destination: destination("10.0.0.3", 80, "direct-route", 1) },
  ],
  [
    "del-dest-missing",
    IPVS_CMD_DEL_DEST,
    { kind: "del-destination", service: asIpvsadmSendsIt(vip), destination: destination("10.0.0.99", 80, "direct-route", 1) },
  ],
  ["set-config-timeouts", IPVS_CMD_SET_CONFIG, { kind: "set-config", timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } }],
  ["get-config-timeouts", IPVS_CMD_GET_CONFIG, { kind: "get-config" }],
  ["new-daemon-master", IPVS_CMD_NEW_DAEMON, { kind: "new-daemon", daemon: { state: "master", interfaceName: "eth0", syncId: 5 } }],
  [
    "new-daemon-backup-options",
    IPVS_CMD_NEW_DAEMON,
    { kind: "new-daemon", daemon: { state: "backup", interfaceName: "eth0", syncId: 6, maxLength: 1400, port: 8850, ttl: 2, group: ip("224.0.0.90") } },
  ],
  [
    "new-daemon-master-group6",
    IPVS_CMD_NEW_DAEMON,
    { kind: "new-daemon", daemon: { state: "master", interfaceName: "eth0", syncId: 7, group: ip("ff02::1:3") } },
  ],
  ["get-daemon", IPVS_CMD_GET_DAEMON, { kind: "get-daemons" }],
  ["del-daemon-master", IPVS_CMD_DEL_DAEMON, { kind: "del-daemon", state: "master", interfaceName: "", syncId: 0 }],
  ["del-daemon-none", IPVS_CMD_DEL_DAEMON, { kind: "del-daemon", state: "master", interfaceName: "", syncId: 0 }],
  ["flush", IPVS_CMD_FLUSH, { kind: "flush" }],
  ["flush", IPVS_CMD_GET_INFO, { kind: "get-info" }],
];

describe("requests, byte for byte as ipvsadm sends them", () => {
  for (const [name, cmd, request] of golden) {
    test(`${name}: ${loadExchange(name).command}`, () => {
      const exchange = loadExchange(name);
      const family = ipvsFamilyId(exchange);
      const captured = theRequest(exchange, cmd).message;
      // ipvsadm's sequence numbers and port ids are its own: encode with the same ones.
      const ours = encodeIpvsRequest(family, request, captured.header.seq, captured.header.pid);
      expect(hex(ours)).toBe(hex(messageBytes(captured)));
      expect(decodeIpvsRequest(captured, family)).toEqual(request);
    });
  }

  test("ipvsadm -L -n: GET_INFO, one GET_SERVICE dump, then a GET_DEST dump per service", () => {
    const exchange = loadExchange("list-numeric");
    const family = ipvsFamilyId(exchange);
    const decoded = ipvsRequests(exchange).map(({ message }) => decodeIpvsRequest(message, family));
    expect(decoded).toEqual([
      { kind: "get-info" },
      { kind: "get-services" },
      // In the order it prints them (sorted), not the kernel's dump order.
      ...[vip, tcp("10.0.0.7", 443), tcp("10.0.0.100", 80), udp("10.0.0.1", 53), tcp("2001:db8::1", 80), fwmark(7), fwmark(9, 6)].map((key): IpvsRequest => ({
        kind: "get-destinations",
        service: key,
      })),
    ]);
    for (const { message } of ipvsRequests(exchange)) {
      const request = decodeIpvsRequest(message, family) as IpvsRequest;
      expect(hex(encodeIpvsRequest(family, request, message.header.seq, message.header.pid))).toBe(hex(messageBytes(message)));
    }
  });

  test("a tunnel destination with no tunnel given is IPIP, as ipvsadm -i sends it", () => {
    const exchange = loadExchange("new-dest-tunnel-ipip");
    const captured = theRequest(exchange, IPVS_CMD_NEW_DEST).message;
    const request: IpvsRequest = { kind: "new-destination", service: asIpvsadmSendsIt(vip), destination: destination("10.0.0.4", 80, "tunnel", 1) };
    expect(hex(encodeIpvsRequest(0x20, request, captured.header.seq, captured.header.pid))).toBe(hex(messageBytes(captured)));
  });
});

describe("round trips", () => {
  const roundTrips: IpvsRequest[] = [
    ...golden.map(([, , request]) => request),
    { kind: "del-service", service: tcp("2001:db8::1", 443) },
    { kind: "get-service", service: fwmark(3, 6) },
    { kind: "new-destination", service: vip, destination: destination("10.0.0.2", 8080, "masquerade", 0) },
    {
      kind: "set-destination",
      service: fwmark(7),
      destination: destination("10.0.0.9", 0, "tunnel", 65535, { tunnel: { type: "gue", port: 1, checksum: "remcsum" } }),
    },
    { kind: "del-destination", service: vip, destination: { address: ip("10.0.0.2"), port: 80 } },
    { kind: "del-destination", service: tcp("2001:db8::1", 80), destination: { address: ip("10.1.2.3"), port: 80 } },
    { kind: "new-service", service: service(tcp("10.0.0.1", 0), "mh", { flags: flags({ sched1: true, sched2: true, sched3: true }) }) },
    { kind: "new-service", service: service({ kind: "address", protocol: "SCTP", address: ip("10.0.0.1"), port: 9 }, "rr") },
    { kind: "set-config", timeouts: { udpS: 30 } },
    { kind: "set-config", timeouts: {} },
    { kind: "del-daemon", state: "backup", interfaceName: "bond0", syncId: 9 },
    { kind: "zero" },
    { kind: "zero", service: vip },
    { kind: "get-info" },
  ];
  for (const request of roundTrips) {
    test(`${request.kind} ${JSON.stringify(request).slice(0, 100)}`, () => {
      const [message] = decodeMessages(encodeIpvsRequest(0x21, request, 7)).messages;
      expect(decodeIpvsRequest(message!, 0x21)).toEqual(request);
    });
  }
});

describe("values the kernel would refuse are refused before they are sent", () => {
  const attempts: [string, IpvsRequest, string][] = [
    ["weight", { kind: "new-destination", service: vip, destination: destination("10.0.0.2", 80, "masquerade", -1) }, "weight -1 is not an integer"],
    ["port", { kind: "new-service", service: service(tcp("10.0.0.1", 65536), "rr") }, "port 65536"],
    ["scheduler", { kind: "new-service", service: service(vip, "a-scheduler-name") }, 'scheduler "a-scheduler-name" is longer than 15 bytes'],
    ["prefix", { kind: "new-service", service: service(tcp("2001:db8::1", 80), "rr", { netmask: 129 }) }, "prefix length 129"],
    ["fwmark", { kind: "new-service", service: service(fwmark(0), "rr") }, "fwmark 0"],
    [
      "GUE port",
      {
        kind: "new-destination",
        service: vip,
        destination: destination("10.0.0.2", 80, "tunnel", 1, { tunnel: { type: "gue", port: 0, checksum: "nocsum" } }),
      },
      "GUE port 0",
    ],
    ["interface", { kind: "new-daemon", daemon: { state: "master", interfaceName: "a-very-long-name", syncId: 1 } }, "longer than 15 bytes"],
    ["sync id", { kind: "new-daemon", daemon: { state: "master", interfaceName: "eth0", syncId: 256 } }, "sync id 256"],
  ];
  for (const [what, request, message] of attempts) {
    test(what, () => expect(() => encodeIpvsRequest(0x20, request, 1)).toThrow(message));
  }
});

describe("requests the kernel would refuse, decoded", () => {
  const decode = (cmd: number, attributes: Uint8Array[] = [], flags = 5) =>
    decodeIpvsRequest(decodeMessages(encodeGenlMessage({ family: 0x20, flags, seq: 1, cmd, version: 1 }, attributes)).messages[0]!, 0x20);

  test("missing nests and unknown commands are reasons, not exceptions", () => {
    expect(decode(IPVS_CMD_NEW_SERVICE)).toEqual({ rejected: "IPVS_CMD_ATTR_SERVICE is missing" });
    expect(decode(IPVS_CMD_NEW_DAEMON)).toEqual({ rejected: "IPVS_CMD_ATTR_DAEMON is missing" });
    expect(decode(14)).toEqual({ rejected: "IPVS command 14 is not one a client sends" });
    const other = decodeMessages(encodeMessage({ type: 0x30, flags: 5, seq: 1 }, new Uint8Array(4))).messages[0]!;
    expect(decodeIpvsRequest(other, 0x20)).toEqual({ rejected: "message type 48 is not family 32" });
  });

  test("a destination command without its destination", () => {
    const exchange = loadExchange("new-dest-masq-weight-3");
    const captured = theRequest(exchange, IPVS_CMD_NEW_DEST).message;
    // Cut the message before IPVS_CMD_ATTR_DEST: header 16 + genl 4 + the 84-byte service nest.
    const truncated = messageBytes(captured).slice(0, 104);
    new DataView(truncated.buffer).setUint32(0, 104, true);
    expect(decodeIpvsRequest(decodeMessages(truncated).messages[0]!, 0x20)).toEqual({ rejected: "IPVS_CMD_ATTR_DEST is missing" });
  });
});
