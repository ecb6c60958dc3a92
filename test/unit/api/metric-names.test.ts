// api/ restates two lists it may not import at run time (DESIGN.md): the counters' metric
// names (vrrp/counters.ts) and the event kinds (store/event.ts). These tests keep them equal.
import { expect, test } from "bun:test";
import { API_EVENT_KINDS, isEventKind } from "../../../src/api/event-kinds.ts";
import { COUNTER_METRICS, KEEPALIVED_STATE_VALUE } from "../../../src/api/metric-names.ts";
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
