// ReportOrder: each subject's reports in the order they were asked for, however long one
// waits; another subject's report may wait for them; nothing pending, nothing deferred.
import { describe, expect, test } from "bun:test";
import { ReportOrder } from "../../../../src/daemon/vrrp/report-order.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe("ReportOrder", () => {
  test("with nothing pending a report goes out at once", () => {
    const order = new ReportOrder();
    const out: string[] = [];
    order.report("INSTANCE VI_1", [undefined], () => out.push("BACKUP"));
    expect(out).toEqual(["BACKUP"]);
    expect(order.waiting("INSTANCE VI_1")).toBeUndefined();
  });

  test("a MASTER waiting for its VIPs holds back the BACKUP that follows it", async () => {
    const order = new ReportOrder();
    const out: string[] = [];
    const vips = deferred();
    order.report("INSTANCE VI_1", [vips.promise], () => out.push("MASTER"));
    order.report("INSTANCE VI_1", [undefined], () => out.push("BACKUP"));
    // Another subject is not held back.
    order.report("INSTANCE VI_2", [undefined], () => out.push("VI_2 BACKUP"));
    expect(out).toEqual(["VI_2 BACKUP"]);
    vips.resolve();
    await settle();
    expect(out).toEqual(["VI_2 BACKUP", "MASTER", "BACKUP"]);
    expect(order.waiting("INSTANCE VI_1")).toBeUndefined();
  });

  test("a group's report waits for its members' pending ones", async () => {
    const order = new ReportOrder();
    const out: string[] = [];
    const vips = deferred();
    order.report("INSTANCE VI_1", [vips.promise], () => out.push("VI_1 MASTER"));
    order.report("GROUP G1", [order.waiting("INSTANCE VI_1")], () => out.push("G1 MASTER"));
    expect(out).toEqual([]);
    vips.resolve();
    await settle();
    expect(out).toEqual(["VI_1 MASTER", "G1 MASTER"]);
  });
});
