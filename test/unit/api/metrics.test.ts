// /metrics parsed back: every line is a comment or `name{labels} value`, each family has
// HELP and TYPE once before its samples, histograms are cumulative with +Inf = count, and
// keepalived-exporter's names, labels and state values are what dashboards expect.
import { describe, expect, test } from "bun:test";
import { TAKEOVER_BUCKETS_S } from "../../../src/api/metric-names.ts";
import { escapeHelp, escapeLabelValue, histogramSamples, renderFamilies } from "../../../src/api/prometheus-text.ts";
import { COUNTER_DEFINITIONS } from "../../../src/vrrp/counters.ts";
import { scrape, value, type Parsed } from "./exposition.ts";
import { FakeApi } from "./fakes.ts";

describe("GET /metrics", () => {
  test("parses strictly, every family with HELP and TYPE once", async () => {
    const parsed = await scrape(new FakeApi());
    expect(parsed.type.size).toBeGreaterThan(20);
    expect(parsed.samples.length).toBeGreaterThan(40);
  });

  test("keepalived-exporter's keepalived_up and keepalived_vrrp_state (labels and INIT 0 / BACKUP 1 / MASTER 2 / FAULT 3)", async () => {
    const fake = new FakeApi();
    let p = await scrape(fake);
    expect(value(p, "keepalived_up")).toBe(1);
    expect(p.type.get("keepalived_vrrp_state")).toBe("gauge");
    expect(p.samples.filter((s) => s.name === "keepalived_vrrp_state")).toEqual([
      { name: "keepalived_vrrp_state", labels: { iname: "VI_1", intf: "eth0", vrid: "51", ip_address: "10.99.0.41/24" }, value: 2 },
      { name: "keepalived_vrrp_state", labels: { iname: "VI_2", intf: "eth0", vrid: "52", ip_address: "10.99.0.51/24" }, value: 1 },
    ]);
    fake.failover();
    fake.instance("VI_1").state = "FAULT";
    fake.instance("VI_1").vips = ["10.99.0.41/32", "10.99.0.42/24"];
    p = await scrape(fake);
    expect(value(p, "keepalived_vrrp_state", { iname: "VI_2" })).toBe(2);
    expect(p.samples.filter((s) => s.name === "keepalived_vrrp_state" && s.labels.iname === "VI_1").map((s) => [s.labels.ip_address, s.value])).toEqual([
      ["10.99.0.41", 3],
      ["10.99.0.42/24", 3],
    ]);
    fake.instance("VI_1").vips = [];
    fake.instance("VI_1").state = "INIT";
    expect(value(await scrape(fake), "keepalived_vrrp_state", { iname: "VI_1", ip_address: "" })).toBe(0);
  });

  test("keepalived_vrrp_excluded_state: one sample per virtual_ipaddress_excluded; keepalived_vrrp_state from virtual_ipaddress only", async () => {
    const fake = new FakeApi();
    const excluded = (p: Parsed) => p.samples.filter((s) => s.name === "keepalived_vrrp_excluded_state");
    let p = await scrape(fake);
    expect(p.type.get("keepalived_vrrp_excluded_state")).toBe("gauge");
    expect(p.help.get("keepalived_vrrp_excluded_state")).toBe("State of vrrp with excluded VIP");
    expect(excluded(p)).toEqual([]);

    // Two normal VIPs and one excluded one.
    fake.instance("VI_1").vips = ["10.99.0.41/24", "10.99.0.42/32"];
    fake.instance("VI_1").excludedVips = ["10.99.1.41/32"];
    p = await scrape(fake);
    expect(p.samples.filter((s) => s.name === "keepalived_vrrp_state" && s.labels.iname === "VI_1")).toEqual([
      { name: "keepalived_vrrp_state", labels: { iname: "VI_1", intf: "eth0", vrid: "51", ip_address: "10.99.0.41/24" }, value: 2 },
      { name: "keepalived_vrrp_state", labels: { iname: "VI_1", intf: "eth0", vrid: "51", ip_address: "10.99.0.42" }, value: 2 },
    ]);
    expect(excluded(p)).toEqual([
      { name: "keepalived_vrrp_excluded_state", labels: { iname: "VI_1", intf: "eth0", vrid: "51", ip_address: "10.99.1.41" }, value: 2 },
    ]);

    // Only excluded VIPs: keepalived_vrrp_state still has its ip_address="" sample.
    fake.instance("VI_2").vips = [];
    fake.instance("VI_2").excludedVips = ["10.99.1.51/24"];
    p = await scrape(fake);
    expect(p.samples.filter((s) => s.name === "keepalived_vrrp_state" && s.labels.iname === "VI_2")).toEqual([
      { name: "keepalived_vrrp_state", labels: { iname: "VI_2", intf: "eth0", vrid: "52", ip_address: "" }, value: 1 },
    ]);
    expect(excluded(p).filter((s) => s.labels.iname === "VI_2")).toEqual([
      { name: "keepalived_vrrp_excluded_state", labels: { iname: "VI_2", intf: "eth0", vrid: "52", ip_address: "10.99.1.51/24" }, value: 1 },
    ]);
  });

  test("tandem_vrrp_held: 1 while an instance is held in BACKUP at start, 0 otherwise", async () => {
    const fake = new FakeApi();
    let p = await scrape(fake);
    expect(p.type.get("tandem_vrrp_held")).toBe("gauge");
    expect(p.samples.filter((s) => s.name === "tandem_vrrp_held").map((s) => [s.labels.iname, s.value])).toEqual([
      ["VI_1", 0],
      ["VI_2", 0],
    ]);
    fake.instance("VI_2").held = { untilMs: fake.clock.wallMs() + 5_000, by: ["vrrp_startup_delay", "director"] };
    p = await scrape(fake);
    expect(value(p, "tandem_vrrp_held", { iname: "VI_2" })).toBe(1);
    expect(value(p, "tandem_vrrp_held", { iname: "VI_1" })).toBe(0);
  });

  test("every counter with an exporter name is exported under it, labels iname/intf/vrid", async () => {
    const fake = new FakeApi();
    fake.instance("VI_2").counters = { ...fake.instance("VI_2").counters, ipTtlErrors: 7, authFailures: 2 };
    const p = await scrape(fake);
    for (const [counter, definition] of Object.entries(COUNTER_DEFINITIONS)) {
      if (!definition.exporterMetric) continue;
      expect(p.type.get(definition.exporterMetric)).toBe("counter");
      const samples = p.samples.filter((s) => s.name === definition.exporterMetric);
      expect(samples.map((s) => s.labels)).toEqual([
        { iname: "VI_1", intf: "eth0", vrid: "51" },
        { iname: "VI_2", intf: "eth0", vrid: "52" },
      ]);
      expect(samples[1]!.value).toBe(fake.instance("VI_2").counters[counter]!);
    }
    expect(value(p, "keepalived_ip_ttl_errors_total", { iname: "VI_2" })).toBe(7);
    expect(value(p, "keepalived_advertisements_sent_total", { iname: "VI_1" })).toBe(120);
    expect(value(p, "tandem_vrrp_checksum_errors_total", { iname: "VI_1" })).toBe(0);
  });

  test("trackers: keepalived_script_status{name} once per script, tandem_tracker_healthy per instance", async () => {
    const fake = new FakeApi();
    fake.setTracker("VI_2", "chk_mt_down", false);
    const p = await scrape(fake);
    expect(p.samples.filter((s) => s.name === "keepalived_script_status")).toEqual([
      { name: "keepalived_script_status", labels: { name: "chk_mt_down" }, value: 1 },
    ]);
    expect(value(p, "tandem_tracker_healthy", { iname: "VI_1", kind: "script", name: "chk_mt_down" })).toBe(1);
    expect(value(p, "tandem_tracker_healthy", { iname: "VI_2", kind: "script", name: "chk_mt_down" })).toBe(0);
    expect(value(p, "tandem_vrrp_effective_priority", { iname: "VI_2" })).toBe(75);
    expect(value(p, "tandem_vrrp_base_priority", { iname: "VI_2" })).toBe(90);
  });

  test("takeover histogram: cumulative buckets 10 ms..10 s, +Inf = count, sum in seconds", async () => {
    const fake = new FakeApi();
    fake.takeovers = [5, 40, 40, 900, 3650, 12_000];
    const p = await scrape(fake);
    expect(p.type.get("tandem_takeover_duration_seconds")).toBe("histogram");
    const buckets = p.samples.filter((s) => s.name === "tandem_takeover_duration_seconds_bucket");
    expect(buckets.map((b) => b.labels.le)).toEqual([...TAKEOVER_BUCKETS_S.map(String), "+Inf"]);
    expect(buckets.map((b) => b.value)).toEqual([1, 1, 3, 3, 3, 3, 4, 4, 5, 5, 6]);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.value).toBe(value(p, "tandem_takeover_duration_seconds_count")!);
    expect(value(p, "tandem_takeover_duration_seconds_sum")).toBeCloseTo(16.635, 9);
  });

  test("an empty histogram is still complete", async () => {
    const p = await scrape(new FakeApi());
    expect(value(p, "tandem_takeover_duration_seconds_bucket", { le: "+Inf" })).toBe(0);
    expect(value(p, "tandem_takeover_duration_seconds_count")).toBe(0);
  });

  test("the last split brain, when there was one", async () => {
    const fake = new FakeApi();
    expect(value(await scrape(fake), "tandem_last_split_brain_timestamp_seconds")).toBeUndefined();
    const daemon = fake.status.daemon;
    fake.status.daemon = () => ({ ...daemon(), lastSplitBrain: { instance: "VI_1", peer: "10.99.0.12", atMs: 1_800_000_123_456 } });
    expect(value(await scrape(fake), "tandem_last_split_brain_timestamp_seconds", { iname: "VI_1", peer: "10.99.0.12" })).toBe(1_800_000_123.456);
  });

  test("per VRRP socket: receiving, receive loops that died and reopened, packets no instance counts", async () => {
    const fake = new FakeApi();
    const socket = { intf: "eth0", source: "10.99.0.11" };
    expect(value(await scrape(fake), "tandem_vrrp_socket_receiving", socket)).toBe(1);
    fake.socketList = [
      { interface: "eth0", sourceAddress: "10.99.0.11", receiving: false, foreignPackets: 7, malformedPackets: 2, receiveFailures: 3, reopens: 2 },
    ];
    const p = await scrape(fake);
    expect(value(p, "tandem_vrrp_socket_receiving", socket)).toBe(0);
    expect(value(p, "tandem_vrrp_socket_receive_failures_total", socket)).toBe(3);
    expect(value(p, "tandem_vrrp_socket_reopens_total", socket)).toBe(2);
    expect(value(p, "tandem_vrrp_foreign_packets_total", socket)).toBe(7);
    expect(value(p, "tandem_vrrp_malformed_packets_total", socket)).toBe(2);
    expect(p.type.get("tandem_vrrp_foreign_packets_total")).toBe("counter");
  });

  test("history health", async () => {
    const fake = new FakeApi();
    expect(value(await scrape(fake), "tandem_history_degraded")).toBe(0);
    fake.historyHealth = { ...fake.historyHealth, state: "degraded", reason: "read-only", droppedEvents: 12 };
    const p = await scrape(fake);
    expect(value(p, "tandem_history_degraded")).toBe(1);
    expect(value(p, "tandem_history_dropped_events_total")).toBe(12);
    expect(p.type.get("tandem_history_dropped_events_total")).toBe("counter");
  });

  test("awkward instance and tracker names are escaped and parse back", async () => {
    const fake = new FakeApi();
    const instance = fake.instance("VI_1");
    instance.trackers[0]!.name = 'a}b,c="d"';
    instance.name = 'we"ird\\name\nx';
    const p = await scrape(fake);
    expect(value(p, "keepalived_vrrp_state", { iname: 'we"ird\\name\nx' })).toBe(2);
    expect(value(p, "tandem_tracker_healthy", { name: 'a}b,c="d"' })).toBe(1);
  });
});

describe("text format helpers", () => {
  test("escaping", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
  });

  test("special values and no-label samples", () => {
    const text = renderFamilies([
      {
        name: "x",
        help: "h",
        type: "gauge",
        samples: [
          { labels: {}, value: NaN },
          { labels: { a: "1" }, value: Infinity },
          { labels: { a: "2" }, value: -Infinity },
        ],
      },
    ]);
    expect(text).toBe('# HELP x h\n# TYPE x gauge\nx NaN\nx{a="1"} +Inf\nx{a="2"} -Inf\n');
  });

  test("histogram samples from observations on bucket edges", () => {
    const samples = histogramSamples([0.01, 0.02], [0.01, 0.02], { iname: "A" });
    expect(samples.map((s) => [s.suffix, s.labels.le, s.value])).toEqual([
      ["_bucket", "0.01", 1],
      ["_bucket", "0.02", 2],
      ["_bucket", "+Inf", 2],
      ["_sum", undefined, 0.03],
      ["_count", undefined, 2],
    ]);
  });
});
