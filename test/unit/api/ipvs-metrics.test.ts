// The director's /metrics families, scraped and parsed back strictly: node_exporter's
// node_ipvs_* with its labels and label values (as its collector reads /proc/net/ip_vs), and
// tandem_ipvs_* beside them; none at all on a box with no virtual_server.
import { describe, expect, test } from "bun:test";
import { nodeServiceLabels } from "../../../src/api/ipvs-metrics.ts";
import { NODE_IPVS_BACKEND_LABELS } from "../../../src/api/metric-names.ts";
import { scrape, value } from "./exposition.ts";
import { seedIpvsView } from "./fake-ipvs.ts";
import { FakeApi } from "./fakes.ts";

function withDirector(): FakeApi {
  const fake = new FakeApi();
  fake.ipvsView = seedIpvsView(fake.clock.wallMs());
  return fake;
}

const WEB = { virtual_server: "TCP 10.99.0.41:80" };

describe("GET /metrics: the director", () => {
  test("no virtual_server: no IPVS family at all", async () => {
    const p = await scrape(new FakeApi());
    expect([...p.type.keys()].filter((name) => name.includes("ipvs"))).toEqual([]);
  });

  test("node_ipvs_backend_*: node_exporter's labels, in its order, for every destination of a one-service virtual server", async () => {
    const p = await scrape(withDirector());
    const active = p.samples.filter((s) => s.name === "node_ipvs_backend_connections_active");
    for (const s of active) expect(Object.keys(s.labels)).toEqual([...NODE_IPVS_BACKEND_LABELS]);
    expect(
      active.map((s) => [
        s.labels.local_address,
        s.labels.local_port,
        s.labels.remote_address,
        s.labels.remote_port,
        s.labels.proto,
        s.labels.local_mark,
        s.value,
      ]),
    ).toEqual([
      ["10.99.0.41", "80", "10.99.1.1", "80", "TCP", "", 12],
      ["10.99.0.41", "80", "10.99.1.2", "80", "TCP", "", 20],
      ["10.99.0.41", "80", "10.99.1.3", "80", "TCP", "", 0],
      ["10.99.0.41", "80", "10.99.1.4", "80", "TCP", "", 3],
      ["", "0", "10.99.1.5", "0", "FWM", "00000007", 2],
      ["2001:db8::41", "443", "2001:db8::1:6", "443", "TCP", "", 1],
    ]);
    const labels = active[1]!.labels;
    expect(value(p, "node_ipvs_backend_connections_inactive", labels)).toBe(7);
    expect(value(p, "node_ipvs_backend_weight", labels)).toBe(2);
    expect(value(p, "node_ipvs_backend_weight", active[3]!.labels)).toBe(0);
    expect(p.type.get("node_ipvs_backend_weight")).toBe("gauge");
    expect(p.help.get("node_ipvs_backend_connections_active")).toBe("The current active connections by local and remote address.");
  });

  test("node_ipvs_backend_*: a real server the kernel lacks has no sample; a group of two services is left out", async () => {
    const fake = withDirector();
    delete fake.ipvsView!.virtualServers[0]!.realServers[2]!.kernelWeight;
    const p = await scrape(fake);
    const remotes = p.samples.filter((s) => s.name === "node_ipvs_backend_weight").map((s) => s.labels.remote_address);
    expect(remotes).not.toContain("10.99.1.3");
    expect(remotes).not.toContain("10.99.1.7");
    expect(value(p, "tandem_ipvs_real_server_connections_inactive", { virtual_server: "group dns UDP", real_server: "10.99.1.7:53" })).toBe(9);
  });

  test("node_ipvs_backend_*: equal labels are summed, as node_exporter sums them (one mark in IPv4 and IPv6)", async () => {
    const fake = withDirector();
    const fwm = fake.ipvsView!.virtualServers[1]!;
    fake.ipvsView!.virtualServers.push({ ...structuredClone(fwm), id: "FWM 7 IPv6", services: ["FWM 7 IPv6"] });
    const p = await scrape(fake);
    expect(p.samples.filter((s) => s.name === "node_ipvs_backend_connections_active" && s.labels.proto === "FWM").map((s) => s.value)).toEqual([4]);
  });

  test("node_ipvs_*_total: the kernel's totals when the view has them", async () => {
    const fake = withDirector();
    let p = await scrape(fake);
    expect(value(p, "node_ipvs_connections_total")).toBe(1234);
    expect(value(p, "node_ipvs_incoming_packets_total")).toBe(56789);
    expect(value(p, "node_ipvs_outgoing_packets_total")).toBe(43210);
    expect(value(p, "node_ipvs_incoming_bytes_total")).toBe(9_876_543);
    expect(value(p, "node_ipvs_outgoing_bytes_total")).toBe(123_456_789);
    expect(p.type.get("node_ipvs_connections_total")).toBe("counter");
    expect(p.help.get("node_ipvs_incoming_bytes_total")).toBe("The total amount of incoming data.");
    delete fake.ipvsView!.totals;
    p = await scrape(fake);
    expect(value(p, "node_ipvs_connections_total")).toBeUndefined();
  });

  test("tandem_ipvs_real_server_*: desired weight beside the kernel's, alive, drained, draining, slow-starting", async () => {
    const fake = withDirector();
    const failed = { ...WEB, real_server: "10.99.1.3:80" };
    const drained = { ...WEB, real_server: "10.99.1.4:80" };
    const ok = { ...WEB, real_server: "10.99.1.2:80" };
    fake.ipvsView!.virtualServers[0]!.realServers[1]!.kernelWeight = 1; // drifted: the kernel lags
    let p = await scrape(fake);
    expect([value(p, "tandem_ipvs_real_server_desired_weight", ok), value(p, "tandem_ipvs_real_server_kernel_weight", ok)]).toEqual([2, 1]);
    expect(value(p, "tandem_ipvs_real_server_configured_weight", ok)).toBe(2);
    expect([value(p, "tandem_ipvs_real_server_alive", ok), value(p, "tandem_ipvs_real_server_alive", failed)]).toEqual([1, 0]);
    expect([value(p, "tandem_ipvs_real_server_drained", drained), value(p, "tandem_ipvs_real_server_draining", drained)]).toEqual([1, 1]);
    expect([value(p, "tandem_ipvs_real_server_drained", ok), value(p, "tandem_ipvs_real_server_draining", ok)]).toEqual([0, 0]);
    expect(value(p, "tandem_ipvs_real_server_connections_active", ok)).toBe(20);
    const ramping = { virtual_server: "TCP [2001:db8::41]:443", real_server: "[2001:db8::1:6]:443" };
    expect([value(p, "tandem_ipvs_real_server_slow_start", ramping), value(p, "tandem_ipvs_real_server_slow_start", ok)]).toEqual([1, 0]);
    delete fake.ipvsView!.virtualServers[0]!.realServers[2]!.desiredWeight;
    p = await scrape(fake);
    expect(value(p, "tandem_ipvs_real_server_desired_weight", failed)).toBeUndefined();
    expect(value(p, "tandem_ipvs_real_server_kernel_weight", failed)).toBe(0);
  });

  test("tandem_ipvs per virtual server: quorum up, live weight, quorum, sorry server active (only where one is configured)", async () => {
    const fake = withDirector();
    let p = await scrape(fake);
    expect([value(p, "tandem_ipvs_quorum_up", WEB), value(p, "tandem_ipvs_live_weight", WEB), value(p, "tandem_ipvs_quorum", WEB)]).toEqual([1, 3, 2]);
    expect(p.samples.filter((s) => s.name === "tandem_ipvs_sorry_server_active")).toEqual([{ name: "tandem_ipvs_sorry_server_active", labels: WEB, value: 0 }]);
    const web = fake.ipvsView!.virtualServers[0]!;
    web.quorum = { ...web.quorum, up: false, liveWeight: 1 };
    web.sorryServer!.active = true;
    p = await scrape(fake);
    expect([value(p, "tandem_ipvs_quorum_up", WEB), value(p, "tandem_ipvs_sorry_server_active", WEB)]).toEqual([0, 1]);
  });

  test("the director: available, drift repairs, foreign services, the last apply", async () => {
    const fake = withDirector();
    let p = await scrape(fake);
    expect(value(p, "tandem_ipvs_director_available")).toBe(1);
    expect(value(p, "tandem_ipvs_drift_repairs_total")).toBe(2);
    expect(p.type.get("tandem_ipvs_drift_repairs_total")).toBe("counter");
    expect(value(p, "tandem_ipvs_foreign_services")).toBe(1);
    expect(value(p, "tandem_ipvs_last_apply_duration_seconds")).toBe(0.0015);
    expect(value(p, "tandem_ipvs_last_apply_writes")).toBe(1);
    expect(value(p, "tandem_ipvs_last_apply_failures")).toBe(0);
    expect(value(p, "tandem_ipvs_last_apply_timestamp_seconds")).toBe((fake.clock.wallMs() - 5_000) / 1000);
    fake.ipvsView = { available: false, reason: "no IPVS in this kernel", virtualServers: [], foreignServices: [], driftRepairs: 0 };
    p = await scrape(fake);
    expect(value(p, "tandem_ipvs_director_available")).toBe(0);
    expect(value(p, "tandem_ipvs_last_apply_duration_seconds")).toBeUndefined();
    expect(p.samples.filter((s) => s.name.startsWith("node_ipvs_"))).toEqual([]);
  });

  test("the preflight: IPVS version, connection table size, and 1/0 per sysctl the configuration depends on; none before the kernel was reached", async () => {
    const fake = withDirector();
    let p = await scrape(fake);
    expect(value(p, "tandem_ipvs_info", { version: "1.2.1" })).toBe(1);
    expect(value(p, "tandem_ipvs_connection_table_size")).toBe(4096);
    expect(p.samples.filter((s) => s.name === "tandem_ipvs_sysctl_ok").map((s) => [s.labels.name, s.value])).toEqual([
      ["net.ipv4.ip_forward", 1],
      ["net.ipv4.vs.expire_nodest_conn", 0],
    ]);
    expect(p.type.get("tandem_ipvs_sysctl_ok")).toBe("gauge");
    delete fake.ipvsView!.preflight;
    p = await scrape(fake);
    expect(p.samples.filter((s) => ["tandem_ipvs_info", "tandem_ipvs_connection_table_size", "tandem_ipvs_sysctl_ok"].includes(s.name))).toEqual([]);
  });

  test("awkward virtual server ids are escaped and parse back", async () => {
    const fake = withDirector();
    fake.ipvsView!.virtualServers[3]!.id = 'group we"ird\\name UDP';
    const p = await scrape(fake);
    expect(value(p, "tandem_ipvs_quorum_up", { virtual_server: 'group we"ird\\name UDP' })).toBe(1);
  });
});

describe("node_exporter's service labels from a service's text", () => {
  test.each([
    ["TCP 10.0.0.1:80", { local_address: "10.0.0.1", local_port: "80", proto: "TCP", local_mark: "" }],
    ["UDP [2001:db8::1]:53", { local_address: "2001:db8::1", local_port: "53", proto: "UDP", local_mark: "" }],
    ["SCTP 10.0.0.1:9", { local_address: "10.0.0.1", local_port: "9", proto: "SCTP", local_mark: "" }],
    ["FWM 7 IPv4", { local_address: "", local_port: "0", proto: "FWM", local_mark: "00000007" }],
    ["FWM 4294967295 IPv6", { local_address: "", local_port: "0", proto: "FWM", local_mark: "FFFFFFFF" }],
  ])("%s", (text, labels) => {
    expect(nodeServiceLabels(text)).toEqual(labels);
  });

  test.each(["group web TCP", "TCP 10.0.0.1", "ICMP 10.0.0.1:0", ""])("%p is no kernel service", (text) => {
    expect(nodeServiceLabels(text)).toBeUndefined();
  });
});

describe("GET /metrics: the health checkers", () => {
  const CHECKER = { virtual_server: "TCP 10.99.0.41:80", real_server: "10.99.1.3:80", checker: "HTTP_GET#0" };
  test("each checker's state, checks, failures by reason class, flaps and a duration histogram", async () => {
    const p = await scrape(withDirector());
    expect(p.type.get("tandem_ipvs_check_duration_seconds")).toBe("histogram");
    expect(p.type.get("tandem_ipvs_checks_total")).toBe("counter");
    expect(value(p, "tandem_ipvs_checker_up", CHECKER)).toBe(0);
    expect(value(p, "tandem_ipvs_checks_total", CHECKER)).toBe(40);
    expect(value(p, "tandem_ipvs_check_failures_total", { ...CHECKER, reason: "refused" })).toBe(5);
    expect(value(p, "tandem_ipvs_check_failures_total", { ...CHECKER, reason: "timeout" })).toBe(1);
    expect(value(p, "tandem_ipvs_checker_flaps_total", CHECKER)).toBe(3);
    expect(value(p, "tandem_ipvs_check_duration_seconds_bucket", { ...CHECKER, le: "0.001" })).toBe(10);
    expect(value(p, "tandem_ipvs_check_duration_seconds_bucket", { ...CHECKER, le: "2.5" })).toBe(39);
    expect(value(p, "tandem_ipvs_check_duration_seconds_bucket", { ...CHECKER, le: "+Inf" })).toBe(40);
    expect(value(p, "tandem_ipvs_check_duration_seconds_sum", CHECKER)).toBe(3.45);
    expect(value(p, "tandem_ipvs_check_duration_seconds_count", CHECKER)).toBe(40);
  });

  test("the checks' scheduler: its load, and how late checks start and its loop runs", async () => {
    const p = await scrape(withDirector());
    expect(value(p, "tandem_ipvs_check_scheduler_probes", {})).toBe(4);
    expect(value(p, "tandem_ipvs_check_scheduler_max_concurrent", {})).toBe(9872);
    expect(value(p, "tandem_ipvs_check_scheduler_backlog", {})).toBe(0);
    expect(p.type.get("tandem_ipvs_check_scheduler_skipped_total")).toBe("counter");
    expect(value(p, "tandem_ipvs_check_start_lateness_seconds", { quantile: "0.99" })).toBe(0.007);
    expect(value(p, "tandem_ipvs_check_loop_lag_seconds", { quantile: "1" })).toBe(0.005);
  });
});
