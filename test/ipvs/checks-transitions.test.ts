// checks-transitions.ts on recorded values, on the host (no guest): /proc/net/ip_vs as the
// appliance kernel prints it, the diff of two reads, phases, detections and the client's tallies.
import { describe, expect, test } from "bun:test";
import { clientTallies, detections, sequencesByPhase, tableChanges, tableLines, type ScenarioRun } from "./checks-transitions.ts";

// ip_vs_info_seq_show's layout (Linux 6.1), trailing blanks included.
const PROC_IP_VS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  0A0A0064:0050 rr 
  -> 0A14000D:0050      Masq    1      0          0         
  -> 0A14000C:0050      Masq    0      2          1         
TCP  0A0A0064:1F90 rr 
  -> 0A14000E:1F90      Masq    1      0          0         
`;
const SORRY = new Set(["10.20.0.14:8080"]);

describe("the kernel's table as lines and transitions", () => {
  test("/proc/net/ip_vs gives one sorted line per service and destination, with its weight", () => {
    expect(tableLines(PROC_IP_VS)).toEqual([
      "TCP 10.10.0.100:80 -> 10.20.0.12:80 Masq weight 0",
      "TCP 10.10.0.100:80 -> 10.20.0.13:80 Masq weight 1",
      "TCP 10.10.0.100:80 rr",
      "TCP 10.10.0.100:8080 -> 10.20.0.14:8080 Masq weight 1",
      "TCP 10.10.0.100:8080 rr",
    ]);
    expect(tableLines("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n")).toEqual([]);
  });

  test("a diff names additions, removals, weight changes and the sorry server's coming and going", () => {
    const before = ["TCP 10.10.0.100:80 rr", "TCP 10.10.0.100:80 -> 10.20.0.11:80 Masq weight 1", "TCP 10.10.0.100:80 -> 10.20.0.12:80 Masq weight 1"];
    const after = [
      "TCP 10.10.0.100:80 rr",
      "TCP 10.10.0.100:80 -> 10.20.0.12:80 Masq weight 0",
      "TCP 10.10.0.100:8080 rr",
      "TCP 10.10.0.100:8080 -> 10.20.0.14:8080 Masq weight 1",
    ];
    expect(tableChanges(before, after, SORRY)).toEqual([
      { virtualServer: "TCP 10.10.0.100:80", change: "10.20.0.11:80 removed" },
      { virtualServer: "TCP 10.10.0.100:80", change: "10.20.0.12:80 weight 1 -> 0" },
      { virtualServer: "TCP 10.10.0.100:8080", change: "service added (rr)" },
      { virtualServer: "TCP 10.10.0.100:8080", change: "sorry server 10.20.0.14:8080 in at weight 1" },
    ]);
    expect(tableChanges(after, before, SORRY)).toContainEqual({ virtualServer: "TCP 10.10.0.100:8080", change: "sorry server 10.20.0.14:8080 out" });
  });
});

describe("phases, detections and the client's tallies", () => {
  const web = "TCP 10.10.0.100:80";
  const table = (weight12: number | undefined) => [
    "TCP 10.10.0.100:80 rr",
    ...(weight12 === undefined ? [] : [`TCP 10.10.0.100:80 -> 10.20.0.12:80 Masq weight ${weight12}`]),
  ];
  const run: ScenarioRun = {
    implementation: "test",
    tableBeforeStart: [],
    readyAtMs: 1000,
    injections: [
      { step: "kill", atMs: 5000 },
      { step: "restart", atMs: 10_000 },
    ],
    stopAtMs: 15_000,
    snapshots: [
      { atMs: 1000, previousAtMs: 900, table: table(1) },
      { atMs: 6600, previousAtMs: 6500, table: table(0) },
      { atMs: 10_800, previousAtMs: 10_700, table: table(1) },
      { atMs: 15_200, previousAtMs: 15_100, table: [] },
    ],
    maxReadGapMs: 100,
    requests: [
      [80, 4000, 4010, "nat2"],
      [80, 4990, 5050, "!read ECONNRESET"], // in flight when the fault came: it counts in the fault's phase
      [80, 5100, 5110, "!connection refused"], // before the detection at 6600: the window
      [80, 6000, 6020, "!connection refused"],
      [80, 6700, 6710, "nat1"],
      [80, 7000, 7010, "!connection refused"], // after it: a failure the test reports
      [80, 11_000, 11_010, "nat2"],
    ],
    clientStartMs: 4000,
    startSave: [],
    endSave: [],
    log: [],
  };

  test("each change falls in the phase of the last fault before it, timed from that fault", () => {
    expect(sequencesByPhase(run, SORRY)).toEqual({
      start: { [web]: ["service added (rr)", "10.20.0.12:80 added at weight 1"].sort() },
      kill: { [web]: ["10.20.0.12:80 weight 1 -> 0"] },
      restart: { [web]: ["10.20.0.12:80 weight 0 -> 1"] },
      stop: { [web]: ["10.20.0.12:80 removed", "service removed"] },
    });
    expect(detections(run, SORRY)).toEqual([
      { step: "kill", virtualServer: web, detectedAfterMs: 1600, resolutionMs: 100, atMs: 6600 },
      { step: "restart", virtualServer: web, detectedAfterMs: 800, resolutionMs: 100, atMs: 10_800 },
    ]);
  });

  test("failures are split at the detection: the window before it, each one after it by name", () => {
    const tallies = clientTallies(run, SORRY, (port) => `TCP 10.10.0.100:${port}`);
    expect(tallies.find((t) => t.phase === "kill")).toEqual({
      phase: "kill",
      virtualServer: web,
      requests: 5,
      answers: { nat1: 1 },
      answersAfterDetection: { nat1: 1 },
      beforeDetection: 3,
      failureWindowMs: [-10, 1020],
      afterDetection: [{ sentAfterInjectionMs: 2000, error: "connection refused" }],
    });
    expect(tallies.find((t) => t.phase === "start")?.afterDetection).toEqual([]);
  });
});
