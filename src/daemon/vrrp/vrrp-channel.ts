// One VRRP socket per (interface, source address), shared by the instances on it:
// encodes and sends their adverts, receives every VRRP packet on the interface, routes
// each to its instance through the receive checks, and counts and logs (rate-limited)
// what it drops.
import type { Clock } from "../../common/clock.ts";
import { formatIpv4 } from "../../common/ipv4.ts";
import { RateLimiter, type Logger } from "../../common/logger.ts";
import type { NetworkPorts, VrrpSocket } from "../../net/index.ts";
import type { Advert, ReceivedAdvert } from "../../vrrp/advert.ts";
import { countReceived, countRejection, countSent, type VrrpCounters } from "../../vrrp/counters.ts";
import { demuxPacket, describeRejection, type DemuxTarget } from "../../vrrp/demux.ts";
import { VRRP_MULTICAST_GROUP } from "../../net/index.ts";
import { encodeAdvert } from "../../vrrp/packet.ts";
import type { ReceiveExpectation } from "../../vrrp/receive-checks.ts";

/** What the channel needs from one instance. */
export interface ChannelMember {
  readonly name: string;
  expectation: ReceiveExpectation;
  /** Unicast peers; empty means multicast to 224.0.0.18. */
  unicastPeers: readonly number[];
  counters: VrrpCounters;
  onAdvert(received: ReceivedAdvert, atMs: number): void;
  logger: Logger;
}

export class VrrpChannel {
  private members: ChannelMember[] = [];
  private targets: DemuxTarget<ChannelMember>[] = [];
  private readonly ownAddresses: Set<number>;
  /** Packets for VRIDs we do not run, and malformed IPv4 headers: interface-level counts. */
  foreignPackets = 0;
  malformedPackets = 0;
  private readonly limiter = new RateLimiter(5, 60_000);

  private constructor(
    private readonly socket: VrrpSocket,
    readonly sourceIp: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.ownAddresses = new Set([sourceIp]);
  }

  static async open(net: NetworkPorts, interfaceName: string, sourceIp: number, multicast: boolean, clock: Clock, logger: Logger): Promise<VrrpChannel> {
    let channel: VrrpChannel | undefined;
    const socket = await net.openVrrpSocket({
      interfaceName,
      sourceIp,
      multicast,
      clock,
      onPacket: (bytes, atMs) => channel?.receive(bytes, atMs),
      onError: (error) => logger.error(`VRRP receive on ${interfaceName} stopped: ${error.message}`),
    });
    channel = new VrrpChannel(socket, sourceIp, clock, logger);
    return channel;
  }

  get interfaceName(): string {
    return this.socket.interfaceName;
  }

  add(member: ChannelMember): void {
    this.members.push(member);
    this.targets = this.members.map((m) => ({ expectation: m.expectation, handle: m }));
  }

  remove(member: ChannelMember): void {
    this.members = this.members.filter((m) => m !== member);
    this.targets = this.members.map((m) => ({ expectation: m.expectation, handle: m }));
  }

  get memberCount(): number {
    return this.members.length;
  }

  /** Encode and send one advert of `member` to 224.0.0.18 or to each unicast peer. */
  send(member: ChannelMember, advert: Advert): void {
    const destinations = member.unicastPeers.length > 0 ? member.unicastPeers : [VRRP_MULTICAST_GROUP];
    for (const destinationIp of destinations) {
      try {
        // v3's checksum covers the pseudo-header, so each destination gets its own encoding.
        this.socket.send(encodeAdvert(advert, { sourceIp: this.sourceIp, destinationIp }), destinationIp);
        member.counters = countSent(member.counters, advert);
      } catch (error) {
        this.limitedLog(member.logger, `send:${member.name}`, "warn", `cannot send advert to ${formatIpv4(destinationIp)}: ${(error as Error).message}`);
      }
    }
  }

  private receive(bytes: Uint8Array, atMs: number): void {
    const result = demuxPacket(bytes, this.targets, this.ownAddresses);
    switch (result.kind) {
      case "deliver": {
        const member = result.target;
        member.counters = countReceived(member.counters, result.received.advert);
        for (const warning of result.warnings) {
          if (warning.code !== "interval_learned") this.limitedLog(member.logger, `warn:${member.name}:${warning.code}`, "warn", warning.reason);
        }
        member.onAdvert(result.received, atMs);
        return;
      }
      case "reject": {
        const member = result.target;
        member.counters = countRejection(member.counters, result.rejection);
        this.limitedLog(member.logger, `reject:${member.name}:${result.rejection.code}`, "warn", describeRejection(result.sourceIp, result.rejection));
        return;
      }
      case "malformed":
        this.malformedPackets++;
        this.limitedLog(this.logger, "malformed", "warn", describeRejection(undefined, result.rejection));
        return;
      case "foreign":
        this.foreignPackets++;
        this.limitedLog(this.logger, `foreign:${result.vrid}`, "debug", `ignoring VRRPv${result.version} packet for VRID ${result.vrid} from ${formatIpv4(result.sourceIp)}: no instance here`);
        return;
      case "own":
        return;
    }
  }

  private limitedLog(logger: Logger, key: string, level: "debug" | "warn", message: string): void {
    const suppressed = this.limiter.allow(key, this.clock.nowMs());
    if (suppressed === undefined) return;
    logger[level](suppressed > 0 ? `${message} (${suppressed} similar messages suppressed)` : message);
  }

  close(): void {
    this.socket.close();
  }
}

