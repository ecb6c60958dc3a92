// Routes one received IPv4 datagram to the instance it belongs to and runs that
// instance's receive checks. Pure. One socket per interface carries every VRID on it,
// so the VRID is read first (as keepalived does) to pick whose rules apply.
import { formatIpv4 } from "../common/ipv4.ts";
import type { ReceivedAdvert } from "./advert.ts";
import { decodeIpv4 } from "./ipv4-header.ts";
import { checkAdvert, type ReceiveExpectation, type ReceiveWarning } from "./receive-checks.ts";
import type { Rejection } from "./rejection.ts";

export interface DemuxTarget<T> {
  expectation: ReceiveExpectation;
  /** Whatever the caller uses to find the instance again. */
  handle: T;
}

export type DemuxResult<T> =
  | { kind: "deliver"; target: T; received: ReceivedAdvert; warnings: ReceiveWarning[] }
  | { kind: "reject"; target: T; rejection: Rejection; sourceIp: number }
  /** The IPv4 header itself was bad: nobody to charge it to but the interface. */
  | { kind: "malformed"; rejection: Rejection }
  /** One of our own adverts looped back (multicast loop, or a shared segment): silently dropped. */
  | { kind: "own" }
  /** A VRID (or version) we do not run: other routers on the LAN. Not an error. */
  | { kind: "foreign"; vrid: number; version: number; sourceIp: number };

/**
 * @param ownAddresses source addresses our adverts on this interface go out from.
 */
export function demuxPacket<T>(bytes: Uint8Array, targets: readonly DemuxTarget<T>[], ownAddresses: ReadonlySet<number>): DemuxResult<T> {
  const ip = decodeIpv4(bytes);
  if (!ip.ok) return { kind: "malformed", rejection: ip.rejection };
  const { header, payload } = ip;
  if (ownAddresses.has(header.sourceIp)) return { kind: "own" };
  const version = (payload[0] ?? 0) >> 4;
  const vrid = payload[1] ?? 0;
  // Prefer the instance of the same version: a v2 and a v3 router may share a VRID
  // number during a migration, and each must judge only its own packets.
  const sameVrid = targets.filter((t) => t.expectation.vrid === vrid);
  const target = sameVrid.find((t) => t.expectation.version === version) ?? sameVrid[0];
  if (!target) return { kind: "foreign", vrid, version, sourceIp: header.sourceIp };
  const result = checkAdvert({ ttl: header.ttl, sourceIp: header.sourceIp, destinationIp: header.destinationIp, payload }, target.expectation);
  if (!result.ok) return { kind: "reject", target: target.handle, rejection: result.rejection, sourceIp: header.sourceIp };
  return { kind: "deliver", target: target.handle, received: result.received, warnings: result.warnings };
}

/** One log line for a rejected packet: who sent it and why it was dropped. */
export function describeRejection(sourceIp: number | undefined, rejection: Rejection): string {
  return `dropped VRRP packet${sourceIp === undefined ? "" : ` from ${formatIpv4(sourceIp)}`}: ${rejection.reason}`;
}
