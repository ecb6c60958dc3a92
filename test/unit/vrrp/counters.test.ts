// Tests for the VRRP statistics (RFC 6527 / RFC 2787 objects, keepalived-exporter names).

import { describe, expect, test } from "bun:test";
import { AUTH_NONE, type Advert } from "../../../src/vrrp/advert.ts";
import {
  countTransition,
  COUNTER_DEFINITIONS,
  countReceived,
  countRejection,
  countSent,
  emptyCounters,
  REJECTION_COUNTER,
  type CounterName,
} from "../../../src/vrrp/counters.ts";
import type { RejectionCode } from "../../../src/vrrp/rejection.ts";

const advert: Advert = { version: 3, vrid: 51, priority: 100, advertIntervalCs: 100, addresses: [], authType: AUTH_NONE, authData: new Uint8Array(0) };

describe("counters", () => {
  test("start at zero, one per definition", () => {
    const counters = emptyCounters();
    expect(Object.keys(counters).sort()).toEqual(Object.keys(COUNTER_DEFINITIONS).sort());
    expect(Object.values(counters).every((value) => value === 0)).toBe(true);
  });

  test("each receive-check rejection moves its MIB counter", () => {
    const expected: Partial<Record<RejectionCode, CounterName>> = {
      ttl: "ipTtlErrors",
      version: "versionErrors",
      vrid: "vrIdErrors",
      checksum: "checksumErrors",
      type: "invalidTypePktsRcvd",
      length: "packetLengthErrors",
      auth_type_invalid: "invalidAuthType",
      auth_type: "authTypeMismatch",
      auth_failure: "authFailures",
      interval_mismatch: "advIntervalErrors",
      address_list: "addressListErrors",
      destination: "addressListErrors",
    };
    for (const [code, name] of Object.entries(expected) as [RejectionCode, CounterName][]) {
      const counters = countRejection(emptyCounters(), { code, reason: "" });
      expect(counters[name]).toBe(1);
      expect(Object.values(counters).reduce((a, b) => a + b, 0)).toBe(1);
    }
  });

  test("rejections with no MIB object leave the counters unchanged", () => {
    const before = emptyCounters();
    expect(countRejection(before, { code: "ip_protocol", reason: "" })).toBe(before);
  });

  test("pure: the input is never modified", () => {
    const before = emptyCounters();
    countRejection(before, { code: "ttl", reason: "" });
    expect(before.ipTtlErrors).toBe(0);
  });

  test("received and sent count priority 0 separately", () => {
    let counters = countReceived(emptyCounters(), advert);
    counters = countReceived(counters, { ...advert, priority: 0 });
    counters = countSent(counters, { ...advert, priority: 0 });
    expect(counters.advertsReceived).toBe(2);
    expect(counters.priorityZeroReceived).toBe(1);
    expect(counters.advertsSent).toBe(1);
    expect(counters.priorityZeroSent).toBe(1);
  });
});

describe("names", () => {
  test("every rejection code maps to a defined counter or null", () => {
    for (const name of Object.values(REJECTION_COUNTER)) if (name !== null) expect(COUNTER_DEFINITIONS[name]).toBeDefined();
  });

  test("exporter metric names as keepalived-exporter publishes them", () => {
    expect(COUNTER_DEFINITIONS.advertsReceived.exporterMetric).toBe("keepalived_advertisements_received_total");
    expect(COUNTER_DEFINITIONS.ipTtlErrors.exporterMetric).toBe("keepalived_ip_ttl_errors_total");
    expect(COUNTER_DEFINITIONS.authTypeMismatch.exporterMetric).toBe("keepalived_authentication_mismatch_total");
    const metrics = Object.values(COUNTER_DEFINITIONS).flatMap((d) => (d.exporterMetric ? [d.exporterMetric] : []));
    expect(new Set(metrics).size).toBe(metrics.length);
    expect(metrics.every((m) => /^keepalived_[a-z_]+_total$/.test(m))).toBe(true);
  });

  test("MIB object names", () => {
    expect(COUNTER_DEFINITIONS.ipTtlErrors.rfc6527).toBe("vrrpv3StatisticsIpTtlErrors");
    expect(COUNTER_DEFINITIONS.checksumErrors.rfc6527).toBe("vrrpv3RouterChecksumErrors");
    expect(COUNTER_DEFINITIONS.authFailures.rfc2787).toBe("vrrpStatsAuthFailures");
  });

  test("transitions count become-master and release-master", () => {
    let c = emptyCounters();
    c = countTransition(c, "BACKUP", "MASTER");
    c = countTransition(c, "MASTER", "BACKUP");
    c = countTransition(c, "BACKUP", "FAULT");
    c = countTransition(c, "FAULT", "MASTER");
    expect([c.becomeMaster, c.releaseMaster]).toEqual([2, 1]);
  });
});
