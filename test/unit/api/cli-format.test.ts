import { describe, expect, test } from "bun:test";
import { ago, formatEventsTable, formatIpvsTable, formatStateTable, table } from "../../../src/api/cli-format.ts";
import type { InstanceView } from "../../../src/api/ports.ts";
import { seedIpvsView } from "./fake-ipvs.ts";

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
    expect(
      formatStateTable({ instances: [instance({ state: "BACKUP", held: { untilMs: 9_000, by: ["director"] } })] }, 61_000)
        .split("\n")[1]!
        .startsWith("VI_1      BACKUP (held)"),
    ).toBe(true);
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

describe("tandem ipvs", () => {
  const NOW = 1_800_000_000_000;

  test("ipvsadm -Ln's table (its column widths, Weight the kernel's) with the desired weight and health beside it", () => {
    const text = formatIpvsTable(seedIpvsView(NOW), NOW);
    expect(text).toBe(
      [
        "Last apply 5.0 s ago (check): 1 write(s), 0 failed, 1.5 ms; 2 drift repair(s)",
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn  Desired Health",
        "TCP  10.99.0.41:80 wrr",
        "  -> 10.99.1.1:80                 Masq    1      12         40         1       alive",
        "  -> 10.99.1.2:80                 Masq    2      20         7          2       alive",
        "  -> 10.99.1.3:80                 Masq    0      0          0          0       failed, inhibited, HTTP_GET#0: connection refused",
        "  -> 10.99.1.4:80                 Masq    0      3          1          0       alive, drained, draining (operator, 240 s left)",
        "FWM  7 sh persistent 300 sh-port",
        "  -> 10.99.1.5:0                  Route   5      2          0          5       alive",
        "TCP  [2001:db8::41]:443 rr",
        "  -> [2001:db8::1:6]:443          Tunnel  1      1          2          1       alive, slow start to weight 3 (8 s left)",
        "group dns UDP (UDP 10.99.0.51:53, UDP 10.99.0.52:53) rr ops",
        "  -> 10.99.1.7:53                 Masq    1      0          9          1       alive",
        "Not tandem's (never touched): TCP 10.99.0.99:22",
        "",
      ].join("\n"),
    );
  });

  test("unavailable director, lost quorum, sorry server, and a server out of the kernel", () => {
    const view = seedIpvsView(NOW);
    view.available = false;
    view.reason = "this kernel has no IPVS";
    view.foreignServices = [];
    const web = view.virtualServers[0]!;
    web.quorum = { up: false, quorum: 2, hysteresis: 1, liveWeight: 0 };
    web.sorryServer!.active = true;
    web.realServers = [{ ...web.realServers[0]!, desiredWeight: undefined, kernelWeight: undefined, alive: false, reason: "failed" }];
    view.virtualServers = [web, { ...view.virtualServers[1]!, id: "FWM 7 IPv6", services: ["FWM 7 IPv6"] }];
    const lines = formatIpvsTable(view, NOW).split("\n");
    expect(lines[0]).toBe("IPVS director unavailable: this kernel has no IPVS (VRRP and the checks run on)");
    expect(lines.slice(3, 7)).toEqual([
      "TCP  10.99.0.41:80 wrr",
      "  ! quorum lost: live weight 0 < quorum 2 (hysteresis 1)",
      "  ! sorry server 10.99.2.9:80 in place of the real servers",
      "  -> 10.99.1.1:80                 Masq    -      -          -          -       failed",
    ]);
    expect(lines[7]).toBe("FWM  7 IPv6 sh persistent 300 sh-port");
    expect(lines.at(-1)).toBe("");
    expect(lines.some((l) => l.startsWith("Not tandem's"))).toBe(false);
  });
});
