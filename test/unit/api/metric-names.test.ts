// api/ restates two lists it may not import at run time (DESIGN.md): the counters' metric
// names (vrrp/counters.ts) and the event kinds (store/event.ts). These tests keep them equal,
// and pin the IPVS names to node_exporter's collector/ipvs_linux.go (read at a7dcc3a0, 2026-08).
import { expect, test } from "bun:test";
import { API_EVENT_KINDS, isEventKind } from "../../../src/api/event-kinds.ts";
import {
  COUNTER_METRICS,
  KEEPALIVED_STATE_VALUE,
  NODE_IPVS_BACKEND_LABELS,
  NODE_IPVS_BACKEND_METRICS,
  NODE_IPVS_TOTAL_METRICS,
} from "../../../src/api/metric-names.ts";
import { ipvsFamilies } from "../../../src/api/ipvs-metrics.ts";
import { seedIpvsView } from "./fake-ipvs.ts";
import { EVENT_KINDS } from "../../../src/store/event.ts";
import { COUNTER_DEFINITIONS } from "../../../src/vrrp/counters.ts";

test("every counter uses keepalived-exporter's name where counters.ts gives one, tandem_vrrp_* otherwise", () => {
  expect(Object.keys(COUNTER_METRICS).sort()).toEqual(Object.keys(COUNTER_DEFINITIONS).sort());
  for (const [counter, definition] of Object.entries(COUNTER_DEFINITIONS)) {
    const metric = COUNTER_METRICS[counter as keyof typeof COUNTER_METRICS];
    expect(metric.help).toBe(definition.help);
    if (definition.exporterMetric) expect(metric.name).toBe(definition.exporterMetric);
    else expect(metric.name).toMatch(/^tandem_vrrp_[a-z_]+_total$/);
  }
  const names = Object.values(COUNTER_METRICS).map((m) => m.name);
  expect(new Set(names).size).toBe(names.length);
});

test("the API's event kinds are the store's, in the same order", () => {
  expect(API_EVENT_KINDS).toEqual(EVENT_KINDS);
  expect(isEventKind("vrrp.transition")).toBe(true);
  expect(isEventKind("toString")).toBe(false);
  expect(isEventKind("__proto__")).toBe(false);
});

test("keepalived's numeric states (vrrp.h), as keepalived-exporter exports them", () => {
  expect(KEEPALIVED_STATE_VALUE).toEqual({ INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 });
});

test("node_exporter's IPVS names, help and backend labels, as collector/ipvs_linux.go has them", () => {
  expect(Object.values(NODE_IPVS_TOTAL_METRICS).map((m) => m.name)).toEqual([
    "node_ipvs_connections_total",
    "node_ipvs_incoming_packets_total",
    "node_ipvs_outgoing_packets_total",
    "node_ipvs_incoming_bytes_total",
    "node_ipvs_outgoing_bytes_total",
  ]);
  expect(Object.values(NODE_IPVS_BACKEND_METRICS).map((m) => m.name)).toEqual([
    "node_ipvs_backend_connections_active",
    "node_ipvs_backend_connections_inactive",
    "node_ipvs_backend_weight",
  ]);
  expect(NODE_IPVS_BACKEND_METRICS.weight.help).toBe("The current backend weight by local and remote address.");
  expect(NODE_IPVS_TOTAL_METRICS.connections.help).toBe("The total number of connections made.");
  expect([...NODE_IPVS_BACKEND_LABELS]).toEqual(["local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark"]);
});

test("the director's own families are tandem_ipvs_*, counters end in _total, and no name repeats", () => {
  const names = ipvsFamilies(seedIpvsView(0)).map((f) => f.name);
  const own = names.filter((n) => !n.startsWith("node_ipvs_"));
  for (const name of own) expect(name).toMatch(/^tandem_ipvs_[a-z_]+$/);
  for (const family of ipvsFamilies(seedIpvsView(0))) if (family.type === "counter") expect(family.name).toEndWith("_total");
  expect(own).toContain("tandem_ipvs_real_server_desired_weight");
  expect(own).toContain("tandem_ipvs_director_available");
  expect(new Set(names).size).toBe(names.length);
});
