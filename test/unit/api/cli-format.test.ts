import { describe, expect, test } from "bun:test";
import { ago, formatEventsTable, formatStateTable, table } from "../../../src/api/cli-format.ts";
import type { InstanceView } from "../../../src/api/ports.ts";

const instance = (over: Partial<InstanceView>): InstanceView => ({
  name: "VI_1",
  vrid: 51,
  interface: "eth0",
  version: 2,
  state: "MASTER",
  basePriority: 100,
  effectivePriority: 100,
  vips: ["10.0.0.41/24"],
  excludedVips: [],
  advertIntervalMs: 1000,
  sourceAddress: "10.0.0.11",
  trackers: [],
  stateSinceMs: 0,
  maintenance: false,
  counters: {},
  ...over,
});

describe("CLI tables", () => {
  test("columns line up and the last one is not padded", () => {
    expect(
      table(
        ["A", "BB"],
        [
          ["xxx", "y"],
          ["z", "long value"],
        ],
      ),
    ).toBe("A    BB\nxxx  y\nz    long value\n");
  });

  test("ages", () => {
    expect(ago(0, 3_200)).toBe("3.2 s ago");
    expect(ago(0, 125_000)).toBe("2 min ago");
    expect(ago(0, 7_300_000)).toBe("2 h ago");
  });

  test("state: master, backup hearing a master, failing trackers, maintenance, groups", () => {
    const text = formatStateTable(
      {
        instances: [
          instance({}),
          instance({
            name: "VI_2",
            vrid: 52,
            state: "BACKUP",
            basePriority: 90,
            effectivePriority: 75,
            maintenance: true,
            master: { address: "10.0.0.12", priority: 100, lastSeenAtMs: 0 },
            trackers: [{ kind: "script", name: "chk", healthy: false, contribution: -15, fault: false, detail: "exit 1" }],
          }),
        ],
        groups: [{ name: "G", state: "BACKUP", members: ["VI_1", "VI_2"] }],
      },
      61_000,
    );
    expect(text.split("\n")[1]).toBe("VI_1      MASTER          51    eth0  100/100  10.0.0.41/24  us               1 min ago  -");
    expect(text).toContain("BACKUP (maint)");
    expect(text).toContain("10.0.0.12 (100)");
    expect(text).toContain("script:chk");
    expect(text).toContain("G      BACKUP  VI_1 VI_2");
  });

  test("state: excluded VIPs follow the normal ones, marked", () => {
    const text = formatStateTable(
      {
        instances: [
          instance({ vips: ["10.0.0.41/24", "10.0.0.42/32"], excludedVips: ["10.0.1.41/24"] }),
          instance({ name: "VI_2", vips: [], excludedVips: ["10.0.1.51/32"] }),
        ],
      },
      0,
    );
    expect(text.split("\n")[1]).toContain("  10.0.0.41/24 10.0.0.42/32 10.0.1.41/24(excluded)  ");
    expect(text.split("\n")[2]).toContain("  10.0.1.51/32(excluded)  ");
  });

  test("events, with the cursor for more", () => {
    const text = formatEventsTable({ events: [{ id: 7, atMs: 0, kind: "daemon.stop", summary: "stopping", data: { reason: "SIGTERM" } }], nextCursor: "abc" });
    expect(text).toBe(
      "ID  TIME (UTC)               KIND         INSTANCE  SUMMARY\n7   1970-01-01 00:00:00.000  daemon.stop  -         stopping\n(more: --cursor abc)\n",
    );
  });
});
