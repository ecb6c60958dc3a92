// GET /metrics: the status as Prometheus families. keepalived-exporter's names, labels
// and state encoding (iname, intf, vrid, ip_address; INIT 0 .. FAULT 3) so its
// dashboards and alerts keep working, plus tandem_* extras keepalived cannot give; the
// director's families (node_exporter's node_ipvs_* and tandem_ipvs_*) in ipvs-metrics.ts.
import type { CounterName } from "../vrrp/counters.ts";
import { ipvsFamilies } from "./ipvs-metrics.ts";
import type { InstanceView, SocketView, StatusSource } from "./ports.ts";
import { COUNTER_METRICS, KEEPALIVED_STATE_VALUE, TAKEOVER_BUCKETS_S } from "./metric-names.ts";
import { histogramSamples, renderFamilies, type Labels, type MetricFamily, type Sample } from "./prometheus-text.ts";

/** keepalived-exporter's per-instance labels. */
function instanceLabels(instance: InstanceView): Labels {
  return { iname: instance.name, intf: instance.interface, vrid: String(instance.vrid) };
}

/** keepalived prints a /32 VIP without its prefix, and the exporter copies that text into ip_address. */
function ipAddressLabel(vip: string): string {
  return vip.endsWith("/32") ? vip.slice(0, -3) : vip;
}

/** keepalived_vrrp_state: one sample per virtual_ipaddress, and one with ip_address="" when there are none (as the exporter). */
function vrrpStateSamples(instances: readonly InstanceView[]): Sample[] {
  return instances.flatMap((instance) => vipStateSamples(instance, instance.vips.length > 0 ? instance.vips : [""]));
}

/** keepalived_vrrp_excluded_state: one sample per virtual_ipaddress_excluded, none when there are none. */
function vrrpExcludedStateSamples(instances: readonly InstanceView[]): Sample[] {
  return instances.flatMap((instance) => vipStateSamples(instance, instance.excludedVips));
}

function vipStateSamples(instance: InstanceView, vips: readonly string[]): Sample[] {
  const value = KEEPALIVED_STATE_VALUE[instance.state];
  return vips.map((vip) => ({ labels: { ...instanceLabels(instance), ip_address: ipAddressLabel(vip) }, value }));
}

function counterFamilies(instances: readonly InstanceView[]): MetricFamily[] {
  return (Object.entries(COUNTER_METRICS) as [CounterName, (typeof COUNTER_METRICS)[CounterName]][]).map(([counter, metric]) => ({
    name: metric.name,
    help: metric.help,
    type: "counter",
    samples: instances.map((instance) => ({ labels: instanceLabels(instance), value: instance.counters[counter] ?? 0 })),
  }));
}

/** keepalived_script_status{name}: vrrp_scripts are global in keepalived, so one sample per script (GOOD 1, BAD 0). */
function scriptStatusSamples(instances: readonly InstanceView[]): Sample[] {
  const healthy = new Map<string, boolean>();
  for (const instance of instances) {
    for (const tracker of instance.trackers) if (tracker.kind === "script" && !healthy.has(tracker.name)) healthy.set(tracker.name, tracker.healthy);
  }
  return [...healthy].map(([name, good]) => ({ labels: { name }, value: good ? 1 : 0 }));
}

/** Per VRRP socket: what it dropped before any instance saw it, and whether it can receive. */
function socketFamilies(sockets: readonly SocketView[]): MetricFamily[] {
  const family = (name: string, type: "gauge" | "counter", help: string, value: (s: SocketView) => number): MetricFamily => ({
    name,
    help,
    type,
    samples: sockets.map((s) => ({ labels: { intf: s.interface, source: s.sourceAddress }, value: value(s) })),
  });
  return [
    family(
      "tandem_vrrp_socket_receiving",
      "gauge",
      "1 while the VRRP socket receives; 0 while a dead receive loop waits to be reopened (its instances are in FAULT)",
      (s) => (s.receiving ? 1 : 0),
    ),
    family("tandem_vrrp_socket_receive_failures_total", "counter", "VRRP receive loops that died", (s) => s.receiveFailures),
    family("tandem_vrrp_socket_reopens_total", "counter", "VRRP sockets opened again after their receive loop died", (s) => s.reopens),
    family("tandem_vrrp_foreign_packets_total", "counter", "VRRP packets for a VRID no instance on this interface runs", (s) => s.foreignPackets),
    family("tandem_vrrp_malformed_packets_total", "counter", "Packets on the VRRP socket whose IPv4 header could not be read", (s) => s.malformedPackets),
  ];
}

export function metricFamilies(status: StatusSource): MetricFamily[] {
  const instances = status.instances();
  const { history, lastSplitBrain } = status.daemon();
  const perInstance = (name: string, help: string, value: (i: InstanceView) => number): MetricFamily => ({
    name,
    help,
    type: "gauge",
    samples: instances.map((instance) => ({ labels: instanceLabels(instance), value: value(instance) })),
  });
  return [
    { name: "keepalived_up", help: "Status", type: "gauge", samples: [{ labels: {}, value: 1 }] },
    {
      name: "keepalived_vrrp_state",
      help: "State of vrrp (INIT 0, BACKUP 1, MASTER 2, FAULT 3, STOP 98)",
      type: "gauge",
      samples: vrrpStateSamples(instances),
    },
    { name: "keepalived_vrrp_excluded_state", help: "State of vrrp with excluded VIP", type: "gauge", samples: vrrpExcludedStateSamples(instances) },
    ...counterFamilies(instances),
    { name: "keepalived_script_status", help: "Tracker Script Status (GOOD 1, BAD 0)", type: "gauge", samples: scriptStatusSamples(instances) },
    perInstance("tandem_vrrp_base_priority", "Configured priority", (i) => i.basePriority),
    perInstance("tandem_vrrp_effective_priority", "Priority advertised now (configured, plus tracker weights; 1 in maintenance)", (i) => i.effectivePriority),
    perInstance("tandem_vrrp_maintenance", "1 while the instance is in operator maintenance", (i) => (i.maintenance ? 1 : 0)),
    perInstance("tandem_vrrp_held", "1 while the instance is held in BACKUP at start (vrrp_startup_delay, or until the director has programmed IPVS)", (i) =>
      i.held ? 1 : 0,
    ),
    perInstance("tandem_vrrp_state_since_timestamp_seconds", "When the instance entered its present state (Unix time)", (i) => i.stateSinceMs / 1000),
    {
      name: "tandem_tracker_healthy",
      help: "1 while a tracker (script, file, interface, maintenance) is healthy, 0 while it fails",
      type: "gauge",
      samples: instances.flatMap((i) => i.trackers.map((t) => ({ labels: { iname: i.name, kind: t.kind, name: t.name }, value: t.healthy ? 1 : 0 }))),
    },
    {
      name: "tandem_takeover_duration_seconds",
      help: "Takeover time: last advert heard from the old master to our VIPs installed",
      type: "histogram",
      samples: histogramSamples(
        status.takeoverDurationsMs().map((ms) => ms / 1000),
        TAKEOVER_BUCKETS_S,
      ),
    },
    {
      name: "tandem_last_split_brain_timestamp_seconds",
      help: "When another master was last heard for one of our VRIDs while we were master (Unix time)",
      type: "gauge",
      samples: lastSplitBrain ? [{ labels: { iname: lastSplitBrain.instance, peer: lastSplitBrain.peer }, value: lastSplitBrain.atMs / 1000 }] : [],
    },
    ...socketFamilies(status.sockets()),
    ...ipvsFamilies(status.ipvs()),
    {
      name: "tandem_history_degraded",
      help: "1 while the event history cannot be written (VRRP runs on)",
      type: "gauge",
      samples: [{ labels: {}, value: history.state === "degraded" ? 1 : 0 }],
    },
    {
      name: "tandem_history_dropped_events_total",
      help: "Events that could not be stored in the history",
      type: "counter",
      samples: [{ labels: {}, value: history.droppedEvents }],
    },
  ];
}

/** The status families, then any others (the API's own counters) after them. */
export function renderMetrics(status: StatusSource, more: readonly MetricFamily[] = []): string {
  return renderFamilies([...metricFamilies(status), ...more]);
}
