// The director's /metrics families: node_exporter's node_ipvs_* (names, help, labels and
// label values as its IPVS collector gives them from /proc/net/ip_vs; see metric-names.ts
// for why these names), then tandem_ipvs_* for what the kernel cannot say: the weight the
// director wants beside the kernel's, health, drains, quorum, sorry server, repairs, applies,
// and the preflight's kernel facts (IPVS version, connection table size, each sysctl's state).
import { NODE_IPVS_BACKEND_METRICS, NODE_IPVS_TOTAL_METRICS } from "./metric-names.ts";
import type { IpvsView, LatenessView, RealServerIpvsView, VirtualServerIpvsView } from "./ports.ts";
import type { Labels, MetricFamily, Sample } from "./prometheus-text.ts";

/** A kernel service's node_exporter labels (local_address, local_port, proto, local_mark). */
type ServiceLabels = { local_address: string; local_port: string; proto: string; local_mark: string };

/**
 * "TCP 10.0.0.1:80", "UDP [2001:db8::1]:53", "FWM 7 IPv4" as procfs reads /proc/net/ip_vs:
 * a fwmark service has no address ("") and port 0, and its mark as the kernel prints it
 * there (%08X); an address service has no mark (""). undefined for a text it cannot read.
 */
export function nodeServiceLabels(service: string): ServiceLabels | undefined {
  const address = /^(TCP|UDP|SCTP) (?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)$/.exec(service);
  if (address) return { local_address: address[2] ?? address[3]!, local_port: address[4]!, proto: address[1]!, local_mark: "" };
  const fwmark = /^FWM (\d+) IPv[46]$/.exec(service);
  if (fwmark) return { local_address: "", local_port: "0", proto: "FWM", local_mark: Number(fwmark[1]).toString(16).toUpperCase().padStart(8, "0") };
  return undefined;
}

type BackendField = keyof typeof NODE_IPVS_BACKEND_METRICS;
const backendValue: Record<BackendField, (rs: RealServerIpvsView) => number> = {
  activeConnections: (rs) => rs.activeConnections,
  inactiveConnections: (rs) => rs.inactiveConnections,
  weight: (rs) => rs.kernelWeight ?? 0,
};

/**
 * node_ipvs_backend_*: one sample per destination the kernel has, labelled in node_exporter's
 * order. A group standing for several kernel services is left out: its connections are summed
 * over the members and cannot be told apart (tandem_ipvs_real_server_* cover it). Samples with
 * equal labels are summed, as node_exporter sums them (a v4 and a v6 fwmark of one mark).
 */
function backendFamilies(view: IpvsView): MetricFamily[] {
  const rows: { labels: Labels; rs: RealServerIpvsView }[] = [];
  for (const vs of view.virtualServers) {
    const service = vs.services.length === 1 ? nodeServiceLabels(vs.services[0]!) : undefined;
    if (!service) continue;
    for (const rs of vs.realServers) {
      if (rs.kernelWeight === undefined) continue;
      const { local_address, local_port, proto, local_mark } = service;
      rows.push({ labels: { local_address, local_port, remote_address: rs.address, remote_port: String(rs.port), proto, local_mark }, rs });
    }
  }
  return (Object.keys(NODE_IPVS_BACKEND_METRICS) as BackendField[]).map((field) => {
    const sums = new Map<string, Sample>();
    for (const { labels, rs } of rows) {
      const key = JSON.stringify(labels);
      const sample = sums.get(key) ?? { labels, value: 0 };
      sample.value += backendValue[field](rs);
      sums.set(key, sample);
    }
    return { ...NODE_IPVS_BACKEND_METRICS[field], type: "gauge", samples: [...sums.values()] };
  });
}

function totalFamilies(view: IpvsView): MetricFamily[] {
  return (Object.keys(NODE_IPVS_TOTAL_METRICS) as (keyof typeof NODE_IPVS_TOTAL_METRICS)[]).map((field) => ({
    ...NODE_IPVS_TOTAL_METRICS[field],
    type: "counter",
    samples: view.totals ? [{ labels: {}, value: view.totals[field] }] : [],
  }));
}

const flag = (on: boolean) => (on ? 1 : 0);

function realServerFamilies(view: IpvsView): MetricFamily[] {
  const family = (name: string, help: string, value: (rs: RealServerIpvsView) => number | undefined): MetricFamily => ({
    name,
    help,
    type: "gauge",
    samples: view.virtualServers.flatMap((vs) =>
      vs.realServers.flatMap((rs) => {
        const v = value(rs);
        return v === undefined ? [] : [{ labels: { virtual_server: vs.id, real_server: rs.id }, value: v }];
      }),
    ),
  });
  return [
    family(
      "tandem_ipvs_real_server_desired_weight",
      "Weight the director asks of the kernel (no sample while it asks for the server to be out)",
      (rs) => rs.desiredWeight,
    ),
    family(
      "tandem_ipvs_real_server_kernel_weight",
      "Weight the kernel has (the last dump; no sample while the kernel lacks the server)",
      (rs) => rs.kernelWeight,
    ),
    family("tandem_ipvs_real_server_configured_weight", "Weight in keepalived.conf", (rs) => rs.configuredWeight),
    family("tandem_ipvs_real_server_alive", "1 while the real server's checks pass (or it has none), 0 while they fail", (rs) => flag(rs.alive)),
    family("tandem_ipvs_real_server_drained", "1 while the operator has drained the real server (kept across reloads and restarts)", (rs) => flag(rs.drained)),
    family("tandem_ipvs_real_server_draining", "1 while the real server is held at weight 0 until its connections end", (rs) =>
      flag(rs.draining !== undefined),
    ),
    family("tandem_ipvs_real_server_slow_start", "1 while the real server's weight ramps up after a recovery (tandem's slowstart)", (rs) =>
      flag(rs.slowStart !== undefined),
    ),
    family("tandem_ipvs_real_server_connections_active", "Active connections (summed over a group's services)", (rs) => rs.activeConnections),
    family("tandem_ipvs_real_server_connections_inactive", "Inactive connections (summed over a group's services)", (rs) => rs.inactiveConnections),
  ];
}

/** The histogram's bounds as RealServerCheckerView's stats count them (check/check-stats.ts). */
export const CHECK_DURATION_BOUNDS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** The health checkers: their state, their checks and failures by reason class, their flaps and the checks' durations. */
function checkerFamilies(view: IpvsView): MetricFamily[] {
  const up: Sample[] = [];
  const checks: Sample[] = [];
  const failures: Sample[] = [];
  const flaps: Sample[] = [];
  const durations: Sample[] = [];
  for (const vs of view.virtualServers) {
    for (const rs of vs.realServers) {
      for (const c of rs.checkers ?? []) {
        const labels = { virtual_server: vs.id, real_server: rs.id, checker: c.id };
        if (c.state !== "not run") up.push({ labels, value: flag(c.up) });
        const stats = c.stats;
        if (!stats) continue;
        checks.push({ labels, value: stats.checks });
        for (const [reason, n] of Object.entries(stats.failuresByClass)) if (n) failures.push({ labels: { ...labels, reason }, value: n });
        flaps.push({ labels, value: stats.flaps });
        CHECK_DURATION_BOUNDS_S.forEach((bound, i) =>
          durations.push({ suffix: "_bucket", labels: { ...labels, le: String(bound) }, value: stats.bucketCounts[i] ?? 0 }),
        );
        durations.push({ suffix: "_bucket", labels: { ...labels, le: "+Inf" }, value: stats.checks });
        durations.push({ suffix: "_sum", labels, value: stats.durationSumMs / 1000 });
        durations.push({ suffix: "_count", labels, value: stats.checks });
      }
    }
  }
  return [
    {
      name: "tandem_ipvs_checker_up",
      help: "1 while the health checker says its real server is up, 0 while down (no sample for one that cannot run)",
      type: "gauge",
      samples: up,
    },
    { name: "tandem_ipvs_checks_total", help: "Health checks run", type: "counter", samples: checks },
    {
      name: "tandem_ipvs_check_failures_total",
      help: "Health checks that failed, by the class of their reason (refused, timeout, reset, unreachable, closed, status, content, tls, script, other)",
      type: "counter",
      samples: failures,
    },
    { name: "tandem_ipvs_checker_flaps_total", help: "Changes of a health checker's state after its first verdict", type: "counter", samples: flaps },
    { name: "tandem_ipvs_check_duration_seconds", help: "How long the health checks took", type: "histogram", samples: durations },
  ];
}

/** The checks' scheduler: its load, and how late checks start and its event loop runs (p50, p99, max over the recent ones). */
function checkSchedulerFamilies(view: IpvsView): MetricFamily[] {
  const scheduler = view.checkScheduler;
  const one = (name: string, help: string, type: "gauge" | "counter", value: number | undefined): MetricFamily => ({
    name,
    help,
    type,
    samples: value === undefined ? [] : [{ labels: {}, value }],
  });
  const quantiles = (name: string, help: string, lateness: LatenessView | undefined): MetricFamily => ({
    name,
    help,
    type: "gauge",
    samples: lateness
      ? [
          { labels: { quantile: "0.5" }, value: lateness.p50 / 1000 },
          { labels: { quantile: "0.99" }, value: lateness.p99 / 1000 },
          { labels: { quantile: "1" }, value: lateness.max / 1000 },
        ]
      : [],
  });
  return [
    one("tandem_ipvs_check_scheduler_probes", "Probes the checks' scheduler runs (identical checks of one real server share one)", "gauge", scheduler?.probes),
    one("tandem_ipvs_check_scheduler_running", "Checks running now", "gauge", scheduler?.running),
    one("tandem_ipvs_check_scheduler_max_concurrent", "At most this many checks run at once (from the open-files limit)", "gauge", scheduler?.maxConcurrent),
    one("tandem_ipvs_check_scheduler_backlog", "Checks past their due time waiting for a free slot", "gauge", scheduler?.backlog),
    one("tandem_ipvs_check_scheduler_overdue", "Checks past their timeout that have not ended yet", "gauge", scheduler?.overdue),
    one("tandem_ipvs_check_scheduler_skipped_total", "Due times skipped because the probe was still running or waiting", "counter", scheduler?.skipped),
    quantiles(
      "tandem_ipvs_check_start_lateness_seconds",
      "How late the checks of the last minute started after their due time (quantile 1: the most)",
      scheduler?.startLatenessMs,
    ),
    quantiles(
      "tandem_ipvs_check_loop_lag_seconds",
      "How late the checkers' event loop fired a timer (one every 500 ms) over the last minute (quantile 1: the most)",
      scheduler?.loopLagMs,
    ),
  ];
}

function virtualServerFamilies(view: IpvsView): MetricFamily[] {
  const family = (name: string, help: string, value: (vs: VirtualServerIpvsView) => number | undefined): MetricFamily => ({
    name,
    help,
    type: "gauge",
    samples: view.virtualServers.flatMap((vs) => {
      const v = value(vs);
      return v === undefined ? [] : [{ labels: { virtual_server: vs.id }, value: v }];
    }),
  });
  return [
    family("tandem_ipvs_quorum_up", "1 while the live weight meets quorum (with its hysteresis), 0 while it is lost", (vs) => flag(vs.quorum.up)),
    family("tandem_ipvs_live_weight", "Sum of the live real servers' weights, as quorum counts it", (vs) => vs.quorum.liveWeight),
    family("tandem_ipvs_quorum", "The quorum the live weight must reach", (vs) => vs.quorum.quorum),
    family("tandem_ipvs_sorry_server_active", "1 while the sorry server stands in for the real servers (virtual servers with a sorry_server)", (vs) =>
      vs.sorryServer ? flag(vs.sorryServer.active) : undefined,
    ),
  ];
}

/** The preflight: no samples until the director has reached the kernel. */
function preflightFamilies(view: IpvsView): MetricFamily[] {
  const preflight = view.preflight;
  const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: "gauge", samples });
  return [
    gauge(
      "tandem_ipvs_info",
      "1, labelled with the kernel's IPVS version (GET_INFO)",
      preflight?.version === undefined ? [] : [{ labels: { version: preflight.version }, value: 1 }],
    ),
    gauge(
      "tandem_ipvs_connection_table_size",
      "Size of the kernel's IPVS connection hash table (GET_INFO; ip_vs conn_tab_bits)",
      preflight?.connectionTableSize === undefined ? [] : [{ labels: {}, value: preflight.connectionTableSize }],
    ),
    gauge(
      "tandem_ipvs_sysctl_ok",
      "1 while a sysctl the configuration depends on has the value it should (the value, the wanted one and why are in GET /ipvs/state), 0 while it does not",
      (preflight?.sysctls ?? []).map((s) => ({ labels: { name: s.name }, value: flag(s.ok) })),
    ),
  ];
}

export function ipvsFamilies(view: IpvsView | undefined): MetricFamily[] {
  // No virtual_server, no director: a VRRP-only box exports no IPVS families at all.
  if (!view) return [];
  const one = (name: string, help: string, type: "gauge" | "counter", value: number | undefined): MetricFamily => ({
    name,
    help,
    type,
    samples: value === undefined ? [] : [{ labels: {}, value }],
  });
  return [
    ...totalFamilies(view),
    ...backendFamilies(view),
    one(
      "tandem_ipvs_director_available",
      "1 while the director can program the kernel's IPVS table; 0 where it cannot (the reason is in GET /ipvs/state)",
      "gauge",
      flag(view.available),
    ),
    ...preflightFamilies(view),
    ...virtualServerFamilies(view),
    ...realServerFamilies(view),
    ...checkerFamilies(view),
    ...checkSchedulerFamilies(view),
    one("tandem_ipvs_drift_repairs_total", "Drift scans that found the kernel changed behind tandem's back and repaired it", "counter", view.driftRepairs),
    one(
      "tandem_ipvs_foreign_services",
      "Services in the kernel that tandem neither configured nor created (never touched)",
      "gauge",
      view.foreignServices.length,
    ),
    one(
      "tandem_ipvs_last_apply_duration_seconds",
      "How long the last batch of writes to the kernel took",
      "gauge",
      view.lastApply && view.lastApply.durationMs / 1000,
    ),
    one("tandem_ipvs_last_apply_writes", "Writes in the last batch to the kernel", "gauge", view.lastApply?.writes),
    one("tandem_ipvs_last_apply_failures", "Writes of the last batch that the kernel refused", "gauge", view.lastApply?.failures),
    one(
      "tandem_ipvs_last_apply_timestamp_seconds",
      "When the last batch of writes was applied (Unix time)",
      "gauge",
      view.lastApply && view.lastApply.atMs / 1000,
    ),
  ];
}
