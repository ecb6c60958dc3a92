// Per-instance VRRP statistics: RFC 6527 (VRRPv3-MIB) and RFC 2787 (VRRP-MIB) objects, and keepalived-exporter names.

import type { Advert } from "./advert.ts";
import type { Rejection, RejectionCode } from "./rejection.ts";

export type CounterName =
  | "advertsReceived"
  | "advertsSent"
  | "priorityZeroReceived"
  | "priorityZeroSent"
  | "becomeMaster"
  | "releaseMaster"
  | "checksumErrors"
  | "versionErrors"
  | "vrIdErrors"
  | "ipTtlErrors"
  | "invalidTypePktsRcvd"
  | "addressListErrors"
  | "packetLengthErrors"
  | "advIntervalErrors"
  | "authFailures"
  | "invalidAuthType"
  | "authTypeMismatch";

export type VrrpCounters = Readonly<Record<CounterName, number>>;

export interface CounterDefinition {
  /** RFC 6527 object, if any. Checksum/version/VRID are router-wide there: sum the instances. */
  rfc6527?: string;
  /** RFC 2787 object, if any. */
  rfc2787?: string;
  /** Field of keepalived's vrrp_stats (keepalived.stats / JSON output). */
  keepalivedStat: string;
  /**
   * mehdy/keepalived-exporter metric (labels iname, intf, vrid), read from keepalived.stats;
   * absent where keepalived does not print the counter.
   */
  exporterMetric?: string;
  help: string;
}

/** Names checked against the VRRP-MIB / VRRPv3-MIB texts and collector.go of keepalived-exporter. */
export const COUNTER_DEFINITIONS: Readonly<Record<CounterName, CounterDefinition>> = Object.freeze({
  advertsReceived: {
    rfc6527: "vrrpv3StatisticsRcvdAdvertisements",
    rfc2787: "vrrpStatsAdvertiseRcvd",
    keepalivedStat: "advert_rcvd",
    exporterMetric: "keepalived_advertisements_received_total",
    help: "Advertisements received and accepted",
  },
  advertsSent: { keepalivedStat: "advert_sent", exporterMetric: "keepalived_advertisements_sent_total", help: "Advertisements sent" },
  priorityZeroReceived: {
    rfc6527: "vrrpv3StatisticsRcvdPriZeroPackets",
    rfc2787: "vrrpStatsPriorityZeroPktsRcvd",
    keepalivedStat: "pri_zero_rcvd",
    exporterMetric: "keepalived_priority_zero_received_total",
    help: "Priority 0 advertisements received (the master is leaving)",
  },
  priorityZeroSent: {
    rfc6527: "vrrpv3StatisticsSentPriZeroPackets",
    rfc2787: "vrrpStatsPriorityZeroPktsSent",
    keepalivedStat: "pri_zero_sent",
    exporterMetric: "keepalived_priority_zero_sent_total",
    help: "Priority 0 advertisements sent",
  },
  becomeMaster: {
    rfc6527: "vrrpv3StatisticsMasterTransitions",
    rfc2787: "vrrpStatsBecomeMaster",
    keepalivedStat: "become_master",
    exporterMetric: "keepalived_become_master_total",
    help: "Transitions to master",
  },
  releaseMaster: { keepalivedStat: "release_master", exporterMetric: "keepalived_release_master_total", help: "Transitions out of master" },
  checksumErrors: {
    rfc6527: "vrrpv3RouterChecksumErrors",
    rfc2787: "vrrpRouterChecksumErrors",
    keepalivedStat: "chk_err",
    help: "Packets with a bad VRRP checksum",
  },
  versionErrors: {
    rfc6527: "vrrpv3RouterVersionErrors",
    rfc2787: "vrrpRouterVersionErrors",
    keepalivedStat: "vers_err",
    help: "Packets with another VRRP version",
  },
  vrIdErrors: {
    rfc6527: "vrrpv3RouterVrIdErrors",
    rfc2787: "vrrpRouterVrIdErrors",
    keepalivedStat: "vrid_err",
    help: "Packets for a VRID this instance is not",
  },
  ipTtlErrors: {
    rfc6527: "vrrpv3StatisticsIpTtlErrors",
    rfc2787: "vrrpStatsIpTtlErrors",
    keepalivedStat: "ip_ttl_err",
    exporterMetric: "keepalived_ip_ttl_errors_total",
    help: "Packets with an IP TTL other than 255",
  },
  invalidTypePktsRcvd: {
    rfc6527: "vrrpv3StatisticsRcvdInvalidTypePackets",
    rfc2787: "vrrpStatsInvalidTypePktsRcvd",
    keepalivedStat: "invalid_type_rcvd",
    exporterMetric: "keepalived_invalid_type_received_total",
    help: "Packets whose type is not advertisement",
  },
  addressListErrors: {
    rfc6527: "vrrpv3StatisticsAddressListErrors",
    rfc2787: "vrrpStatsAddressListErrors",
    keepalivedStat: "addr_list_err",
    exporterMetric: "keepalived_address_list_errors_total",
    help: "Advertisements whose address list (or unicast/multicast destination) differs from ours",
  },
  packetLengthErrors: {
    rfc6527: "vrrpv3StatisticsPacketLengthErrors",
    rfc2787: "vrrpStatsPacketLengthErrors",
    keepalivedStat: "packet_len_err",
    exporterMetric: "keepalived_packet_length_errors_total",
    help: "Packets whose length disagrees with their address count",
  },
  advIntervalErrors: {
    rfc6527: "vrrpv3StatisticsAdvIntervalErrors",
    rfc2787: "vrrpStatsAdvertiseIntervalErrors",
    keepalivedStat: "advert_interval_err",
    exporterMetric: "keepalived_advertisements_interval_errors_total",
    help: "VRRPv2 advertisements with another interval (and v3 with interval 0)",
  },
  authFailures: {
    rfc2787: "vrrpStatsAuthFailures",
    keepalivedStat: "auth_failure",
    exporterMetric: "keepalived_authentication_failure_total",
    help: "VRRPv2 advertisements with the wrong password",
  },
  invalidAuthType: {
    rfc2787: "vrrpStatsInvalidAuthType",
    keepalivedStat: "invalid_authtype",
    exporterMetric: "keepalived_authentication_invalid_total",
    help: "VRRPv2 advertisements with an undefined auth type",
  },
  authTypeMismatch: {
    rfc2787: "vrrpStatsAuthTypeMismatch",
    keepalivedStat: "authtype_mismatch",
    exporterMetric: "keepalived_authentication_mismatch_total",
    help: "VRRPv2 advertisements with another auth type than ours",
  },
});

/**
 * The counter each rejection moves; null where no MIB object fits (the kernel never
 * delivers a non-IPv4, non-VRRP or bad-header-checksum packet on this socket, so those
 * mean a bug and are only logged). Exhaustive over RejectionCode by type.
 */
export const REJECTION_COUNTER: Readonly<Record<RejectionCode, CounterName | null>> = Object.freeze({
  ip_too_short: "packetLengthErrors",
  ip_header_length: "packetLengthErrors",
  ip_total_length: "packetLengthErrors",
  ip_version: null,
  ip_header_checksum: null,
  ip_protocol: null,
  length: "packetLengthErrors",
  ttl: "ipTtlErrors",
  version: "versionErrors",
  type: "invalidTypePktsRcvd",
  vrid: "vrIdErrors",
  checksum: "checksumErrors",
  auth_type_invalid: "invalidAuthType",
  auth_type: "authTypeMismatch",
  auth_failure: "authFailures",
  // keepalived 2.2.7 drops these without counting (advert_interval_err is never
  // incremented); the MIB says count them, so we do.
  interval_mismatch: "advIntervalErrors",
  interval_invalid: "advIntervalErrors",
  address_list: "addressListErrors",
  // keepalived counts a multicast/unicast mix-up as an address-list error.
  destination: "addressListErrors",
});

export function emptyCounters(): VrrpCounters {
  const counters = {} as Record<CounterName, number>;
  for (const name of Object.keys(COUNTER_DEFINITIONS) as CounterName[]) counters[name] = 0;
  return counters;
}

export function increment(counters: VrrpCounters, name: CounterName, by = 1): VrrpCounters {
  return { ...counters, [name]: counters[name] + by };
}

export function countRejection(counters: VrrpCounters, rejection: Rejection): VrrpCounters {
  const name = REJECTION_COUNTER[rejection.code];
  return name === null ? counters : increment(counters, name);
}

/** An advert that passed every receive check. */
export function countReceived(counters: VrrpCounters, advert: Advert): VrrpCounters {
  const received = increment(counters, "advertsReceived");
  return advert.priority === 0 ? increment(received, "priorityZeroReceived") : received;
}

export function countSent(counters: VrrpCounters, advert: Advert): VrrpCounters {
  const sent = increment(counters, "advertsSent");
  return advert.priority === 0 ? increment(sent, "priorityZeroSent") : sent;
}

/** vrrpStatsBecomeMaster and keepalived's release_master: entering and leaving MASTER. */
export function countTransition(counters: VrrpCounters, from: string, to: string): VrrpCounters {
  if (to === "MASTER") return increment(counters, "becomeMaster");
  if (from === "MASTER") return increment(counters, "releaseMaster");
  return counters;
}
