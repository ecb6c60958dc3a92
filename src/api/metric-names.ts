// Metric names for the per-instance VRRP counters: mehdy/keepalived-exporter's names where
// it has one (so its dashboards work), tandem_vrrp_* for the MIB counters it lacks.
// Restated from vrrp/counters.ts because api/ may not import vrrp/ at run time; the
// Record keyed by CounterName makes the compiler catch a new counter, and
// test/unit/api/metric-names.test.ts checks every name against COUNTER_DEFINITIONS.
// Also node_exporter's IPVS names, which the director's metrics (ipvs-metrics.ts) reuse.
import type { CounterName } from "../vrrp/counters.ts";

export interface CounterMetric {
  name: string;
  help: string;
}

export const COUNTER_METRICS: Readonly<Record<CounterName, CounterMetric>> = Object.freeze({
  advertsReceived: { name: "keepalived_advertisements_received_total", help: "Advertisements received and accepted" },
  advertsSent: { name: "keepalived_advertisements_sent_total", help: "Advertisements sent" },
  priorityZeroReceived: { name: "keepalived_priority_zero_received_total", help: "Priority 0 advertisements received (the master is leaving)" },
  priorityZeroSent: { name: "keepalived_priority_zero_sent_total", help: "Priority 0 advertisements sent" },
  becomeMaster: { name: "keepalived_become_master_total", help: "Transitions to master" },
  releaseMaster: { name: "keepalived_release_master_total", help: "Transitions out of master" },
  checksumErrors: { name: "tandem_vrrp_checksum_errors_total", help: "Packets with a bad VRRP checksum" },
  versionErrors: { name: "tandem_vrrp_version_errors_total", help: "Packets with another VRRP version" },
  vrIdErrors: { name: "tandem_vrrp_vrid_errors_total", help: "Packets for a VRID this instance is not" },
  ipTtlErrors: { name: "keepalived_ip_ttl_errors_total", help: "Packets with an IP TTL other than 255" },
  invalidTypePktsRcvd: { name: "keepalived_invalid_type_received_total", help: "Packets whose type is not advertisement" },
  addressListErrors: {
    name: "keepalived_address_list_errors_total",
    help: "Advertisements whose address list (or unicast/multicast destination) differs from ours",
  },
  packetLengthErrors: { name: "keepalived_packet_length_errors_total", help: "Packets whose length disagrees with their address count" },
  advIntervalErrors: { name: "keepalived_advertisements_interval_errors_total", help: "VRRPv2 advertisements with another interval (and v3 with interval 0)" },
  authFailures: { name: "keepalived_authentication_failure_total", help: "VRRPv2 advertisements with the wrong password" },
  invalidAuthType: { name: "keepalived_authentication_invalid_total", help: "VRRPv2 advertisements with an undefined auth type" },
  authTypeMismatch: { name: "keepalived_authentication_mismatch_total", help: "VRRPv2 advertisements with another auth type than ours" },
});

/**
 * keepalived's numeric VRRP states (vrrp.h: VRRP_STATE_INIT 0, BACKUP 1, MASTER 2,
 * FAULT 3), which keepalived-exporter exports as the value of keepalived_vrrp_state.
 * STOP is keepalived's internal VRRP_STATE_STOP (98), seen only while shutting down.
 */
export const KEEPALIVED_STATE_VALUE = Object.freeze({ INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 } as const);

/** Upper bounds (seconds) of tandem_takeover_duration_seconds: 10 ms .. 10 s. */
export const TAKEOVER_BUCKETS_S: readonly number[] = Object.freeze([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/**
 * node_exporter's IPVS collector (collector/ipvs_linux.go): names, help and labels, so the
 * IPVS panels and alerts built on node_exporter read tandem unchanged. Chosen over the
 * keepalived exporters': mehdy/keepalived-exporter (whose VRRP names tandem already uses)
 * exports nothing for LVS, and the other exporter's keepalived_lvs_* name counters without
 * _total, label the protocol by number and use VRRP names of its own, so no dashboard
 * reads both it and tandem's VRRP families; node_ipvs_* is what IPVS dashboards know.
 */
export const NODE_IPVS_BACKEND_LABELS = Object.freeze(["local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark"] as const);

export const NODE_IPVS_BACKEND_METRICS = Object.freeze({
  activeConnections: { name: "node_ipvs_backend_connections_active", help: "The current active connections by local and remote address." },
  inactiveConnections: { name: "node_ipvs_backend_connections_inactive", help: "The current inactive connections by local and remote address." },
  weight: { name: "node_ipvs_backend_weight", help: "The current backend weight by local and remote address." },
} as const);

/** node_exporter's totals (/proc/net/ip_vs_stats), by IpvsView["totals"] field. */
export const NODE_IPVS_TOTAL_METRICS = Object.freeze({
  connections: { name: "node_ipvs_connections_total", help: "The total number of connections made." },
  incomingPackets: { name: "node_ipvs_incoming_packets_total", help: "The total number of incoming packets." },
  outgoingPackets: { name: "node_ipvs_outgoing_packets_total", help: "The total number of outgoing packets." },
  incomingBytes: { name: "node_ipvs_incoming_bytes_total", help: "The total amount of incoming data." },
  outgoingBytes: { name: "node_ipvs_outgoing_bytes_total", help: "The total amount of outgoing data." },
} as const);
