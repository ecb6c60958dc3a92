// The VRRP channel when its receive loop dies: the members are told at once that they cannot
// hear, the socket is reopened with a doubling backoff (opens that fail included), and the
// members hear again once it is back. Encoded adverts in and out through a fake socket.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import type { NetworkPorts, VrrpSocket, VrrpSocketOptions } from "../../../../src/net/index.ts";
import { REOPEN_POLICY, VrrpChannel, type ChannelMember } from "../../../../src/daemon/vrrp/vrrp-channel.ts";
import { AUTH_NONE } from "../../../../src/vrrp/advert.ts";
import { encodeIpv4Packet } from "../../../../src/vrrp/ipv4-header.ts";
import { encodeAdvert } from "../../../../src/vrrp/packet.ts";

const OURS = parseIpv4("10.0.0.1")!;
const PEER = parseIpv4("10.0.0.2")!;
const GROUP = parseIpv4("224.0.0.18")!;

/** Sockets as the kernel gives them: each open is recorded; `failOpens` makes the next ones throw. */
class FakeSockets {
  opened: { options: VrrpSocketOptions; closed: boolean; sent: number }[] = [];
  failOpens = 0;
  readonly ports = {
    openVrrpSocket: async (options: VrrpSocketOptions): Promise<VrrpSocket> => {
      if (this.failOpens > 0) {
        this.failOpens--;
        throw new Error("socket(AF_INET, SOCK_RAW, 112): ENOBUFS");
      }
      const record = { options, closed: false, sent: 0 };
      this.opened.push(record);
      return {
        interfaceName: options.interfaceName,
        interfaceIndex: 2,
        sourceIp: options.sourceIp,
        send: () => void record.sent++,
        close: async () => void (record.closed = true),
      };
    },
  } as unknown as NetworkPorts;

  get current() {
    return this.opened.at(-1)!;
  }
}

function member(events: string[]): ChannelMember {
  return {
    name: "VI_1",
    expectation: { version: 3, vrid: 51, advertIntervalCs: 100, addresses: [parseIpv4("10.0.0.100")!], auth: undefined, unicast: false },
    unicastPeers: [],
    countSent: () => {},
    countReceived: () => {},
    countRejected: () => {},
    onAdvert: (received) => events.push(`advert from priority ${received.advert.priority}`),
    onDeaf: (reason) => events.push(reason === undefined ? "hearing" : `deaf: ${reason}`),
    logger: memoryLogger(),
  };
}

function peerAdvert(priority: number): Uint8Array {
  const advert = {
    version: 3 as const,
    vrid: 51,
    priority,
    advertIntervalCs: 100,
    addresses: [parseIpv4("10.0.0.100")!],
    authType: AUTH_NONE,
    authData: new Uint8Array(8),
  };
  return encodeIpv4Packet({ sourceIp: PEER, destinationIp: GROUP }, encodeAdvert(advert, { sourceIp: PEER, destinationIp: GROUP }));
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe("VrrpChannel receive loop", () => {
  test("a dying receive loop makes the members deaf, reopens with backoff, and they hear again", async () => {
    const clock = new FakeClock();
    const sockets = new FakeSockets();
    const logger = memoryLogger();
    const channel = await VrrpChannel.open(sockets.ports, "eth0", OURS, true, clock, logger);
    const events: string[] = [];
    const m = member(events);
    channel.add(m);

    sockets.current.options.onPacket(peerAdvert(200), clock.nowMs());
    expect(events).toEqual(["advert from priority 200"]);

    const first = sockets.current;
    first.options.onError(new Error("recvmsg: ENETDOWN"));
    expect(first.closed).toBe(true);
    expect(channel.hearing).toBe(false);
    expect(events.at(-1)).toStartWith("deaf: cannot receive adverts on eth0 (recvmsg: ENETDOWN)");
    // A late packet from the dead socket is not delivered; nothing is sent while deaf.
    first.options.onPacket(peerAdvert(200), clock.nowMs());
    channel.send(m, { version: 3, vrid: 51, priority: 100, advertIntervalCs: 100, addresses: [], authType: AUTH_NONE, authData: new Uint8Array(8) });
    expect(events.filter((e) => e.startsWith("advert")).length).toBe(1);
    expect(first.sent).toBe(0);

    // The first two reopen attempts fail: 100 ms, then 200 ms, then 400 ms to the open that works.
    sockets.failOpens = 2;
    clock.advance(REOPEN_POLICY.firstDelayMs - 1);
    await settle();
    expect(sockets.opened.length).toBe(1);
    clock.advance(1);
    await settle();
    clock.advance(200);
    await settle();
    expect(sockets.opened.length).toBe(1);
    expect(channel.hearing).toBe(false);
    clock.advance(399);
    await settle();
    expect(sockets.opened.length).toBe(1);
    clock.advance(1);
    await settle();
    expect(sockets.opened.length).toBe(2);
    expect(channel.hearing).toBe(true);
    expect(events.at(-1)).toBe("hearing");
    expect(logger.lines.some((l) => l.includes("cannot reopen the VRRP socket on eth0: socket(AF_INET, SOCK_RAW, 112): ENOBUFS"))).toBe(true);
    expect({ failures: channel.receiveFailures, reopens: channel.reopens }).toEqual({ failures: 1, reopens: 1 });

    sockets.current.options.onPacket(peerAdvert(150), clock.nowMs());
    expect(events.at(-1)).toBe("advert from priority 150");
    // The reopened socket joins the group again.
    expect(sockets.current.options.multicast).toBe(true);
  });

  test("a member added while the channel is deaf learns it at once; close stops the reopening", async () => {
    const clock = new FakeClock();
    const sockets = new FakeSockets();
    const channel = await VrrpChannel.open(sockets.ports, "eth0", OURS, false, clock, memoryLogger());
    sockets.current.options.onError(new Error("recvmsg: EBADF"));
    const events: string[] = [];
    channel.add(member(events));
    expect(events).toEqual([expect.stringContaining("deaf: cannot receive adverts on eth0 (recvmsg: EBADF)")]);
    channel.close();
    clock.advance(60_000);
    await settle();
    expect(sockets.opened.length).toBe(1);
  });
});
