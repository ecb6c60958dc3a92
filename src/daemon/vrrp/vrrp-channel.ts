// One VRRP socket per (interface, source address), shared by the instances on it:
// encodes and sends their adverts, receives every VRRP packet on the interface, routes
// each to its instance through the receive checks, and counts and logs (rate-limited)
// what it drops. A receive loop that dies is reopened with backoff; meanwhile its members
// are told they cannot hear their peers (a deaf backup would become a second master).
import type { Clock } from "../../common/clock.ts";
import { formatIpv4 } from "../../common/ipv4.ts";
import { RateLimiter, type Logger } from "../../common/logger.ts";
import { Reopener } from "../../common/reopener.ts";
import type { RestartPolicyOptions } from "../../common/restart-policy.ts";
import type { NetworkPorts, VrrpSocket } from "../../net/index.ts";
import type { Advert, ReceivedAdvert } from "../../vrrp/advert.ts";
import { demuxPacket, describeRejection, type DemuxTarget } from "../../vrrp/demux.ts";
import { VRRP_MULTICAST_GROUP } from "../../common/vrrp-wire.ts";
import { encodeAdvert } from "../../vrrp/packet.ts";
import type { ReceiveExpectation } from "../../vrrp/receive-checks.ts";
import type { Rejection } from "../../vrrp/rejection.ts";

/** What the channel needs from one instance. */
export interface ChannelMember {
  readonly name: string;
  expectation: ReceiveExpectation;
  /** Unicast peers; empty means multicast to 224.0.0.18. */
  unicastPeers: readonly number[];
  onAdvert(received: ReceivedAdvert, atMs: number): void;
  /** The member's counters are its own: the channel reports what it did. */
  countSent(advert: Advert): void;
  countReceived(advert: Advert): void;
  countRejected(rejection: Rejection): void;
  /** The channel cannot receive (why), or can again (undefined). */
  onDeaf(reason: string | undefined): void;
  logger: Logger;
}

/** Reopening a socket whose receive loop died: 100 ms, doubling to 5 s while it keeps failing. */
export const REOPEN_POLICY: RestartPolicyOptions = { firstDelayMs: 100, maxDelayMs: 5_000, healthyAfterMs: 30_000 };

interface SocketParams {
  net: NetworkPorts;
  interfaceName: string;
  sourceIp: number;
  multicast: boolean;
}

export class VrrpChannel {
  private members: ChannelMember[] = [];
  private targets: DemuxTarget<ChannelMember>[] = [];
  private readonly ownAddresses: Set<number>;
  /** Packets for VRIDs we do not run, and malformed IPv4 headers: interface-level counts. */
  foreignPackets = 0;
  malformedPackets = 0;
  /** Receive loops that died, and the sockets opened again after them. */
  receiveFailures = 0;
  reopens = 0;
  private readonly limiter = new RateLimiter(5, 60_000);
  /** Set while the socket is gone: why, for the members that join meanwhile. */
  private deafReason: string | undefined;
  private readonly reopener: Reopener;
  private closed = false;

  private constructor(
    private socket: VrrpSocket | undefined,
    private readonly params: SocketParams,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.sourceIp = params.sourceIp;
    this.ownAddresses = new Set([params.sourceIp]);
    this.reopener = new Reopener({
      clock,
      policy: REOPEN_POLICY,
      attempt: () => this.reopen(),
      onAttemptFailed: (error, nextDelayMs) =>
        this.limitedLog(
          this.logger,
          "reopen",
          "warn",
          `cannot reopen the VRRP socket on ${params.interfaceName}: ${error.message}; next try in ${nextDelayMs} ms`,
        ),
    });
  }

  readonly sourceIp: number;

  static async open(net: NetworkPorts, interfaceName: string, sourceIp: number, multicast: boolean, clock: Clock, logger: Logger): Promise<VrrpChannel> {
    const params = { net, interfaceName, sourceIp, multicast };
    const channel = new VrrpChannel(undefined, params, clock, logger);
    channel.socket = await channel.openSocket();
    return channel;
  }

  private openSocket(): Promise<VrrpSocket> {
    const { net, interfaceName, sourceIp, multicast } = this.params;
    let socket: VrrpSocket | undefined;
    const opening = net.openVrrpSocket({
      interfaceName,
      sourceIp,
      multicast,
      clock: this.clock,
      onPacket: (bytes, atMs) => {
        if (socket === this.socket) this.receive(bytes, atMs);
      },
      onError: (error) => {
        if (socket === this.socket) this.receiveDied(error);
      },
    });
    return opening.then((opened) => (socket = opened));
  }

  /** Receive stopped: close what is left, tell the members, and try again after the backoff. */
  private receiveDied(error: Error): void {
    this.receiveFailures++;
    const socket = this.socket;
    this.socket = undefined;
    void socket?.close();
    const delayMs = this.reopener.stopped();
    this.logger.error(`VRRP receive on ${this.params.interfaceName} stopped: ${error.message}; reopening in ${delayMs} ms, instances on it in FAULT meanwhile`);
    this.setDeaf(`cannot receive adverts on ${this.params.interfaceName} (${error.message}); reopening the socket`);
  }

  private async reopen(): Promise<void> {
    const socket = await this.openSocket();
    if (this.closed) return void socket.close();
    this.socket = socket;
    this.reopens++;
    this.logger.info(`VRRP socket on ${this.params.interfaceName} open again`);
    this.setDeaf(undefined);
  }

  private setDeaf(reason: string | undefined): void {
    this.deafReason = reason;
    for (const member of this.members) member.onDeaf(reason);
  }

  /** Receiving now (false while a dead socket waits to be reopened). */
  get hearing(): boolean {
    return this.socket !== undefined;
  }

  get interfaceName(): string {
    return this.params.interfaceName;
  }

  add(member: ChannelMember): void {
    this.members.push(member);
    if (this.deafReason !== undefined) member.onDeaf(this.deafReason);
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
    const socket = this.socket;
    if (!socket) return; // deaf: the members are in FAULT and do not send; a shutdown advert is lost
    for (const destinationIp of destinations) {
      try {
        // v3's checksum covers the pseudo-header, so each destination gets its own encoding.
        socket.send(encodeAdvert(advert, { sourceIp: this.sourceIp, destinationIp }), destinationIp);
        member.countSent(advert);
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
        member.countReceived(result.received.advert);
        for (const warning of result.warnings) {
          if (warning.code !== "interval_learned") this.limitedLog(member.logger, `warn:${member.name}:${warning.code}`, "warn", warning.reason);
        }
        member.onAdvert(result.received, atMs);
        return;
      }
      case "reject": {
        const member = result.target;
        member.countRejected(result.rejection);
        this.limitedLog(member.logger, `reject:${member.name}:${result.rejection.code}`, "warn", describeRejection(result.sourceIp, result.rejection));
        return;
      }
      case "malformed":
        this.malformedPackets++;
        this.limitedLog(this.logger, "malformed", "warn", describeRejection(undefined, result.rejection));
        return;
      case "foreign":
        this.foreignPackets++;
        this.limitedLog(
          this.logger,
          `foreign:${result.vrid}`,
          "debug",
          `ignoring VRRPv${result.version} packet for VRID ${result.vrid} from ${formatIpv4(result.sourceIp)}: no instance here`,
        );
        return;
      case "own":
        return;
    }
  }

  private limitedLog(logger: Logger, key: string, level: "debug" | "warn" | "error", message: string): void {
    const suppressed = this.limiter.allow(key, this.clock.nowMs());
    if (suppressed === undefined) return;
    logger[level](suppressed > 0 ? `${message} (${suppressed} similar messages suppressed)` : message);
  }

  close(): void {
    this.closed = true;
    this.reopener.cancel();
    void this.socket?.close();
    this.socket = undefined;
  }
}
