import { expect, test } from "bun:test";
import { syncDaemonSpec, wantedSyncDaemons } from "../../../src/ipvs/sync-daemon.ts";

const PLAN = { interfaceName: "eth0", syncId: 5, instance: "VI_1" };

test("the sync daemon follows its VRRP instance: master while MASTER, backup in every other state", () => {
  expect(wantedSyncDaemons(PLAN, { VI_1: "MASTER" })).toEqual(["master"]);
  for (const state of ["BACKUP", "FAULT", "INIT", "STOP"]) expect(wantedSyncDaemons(PLAN, { VI_1: state })).toEqual(["backup"]);
  expect(wantedSyncDaemons(PLAN, {})).toEqual(["backup"]); // not reported yet: receive, never send a stale table
});

test("without an instance both run; without lvs_sync_daemon none", () => {
  expect(wantedSyncDaemons({ interfaceName: "eth0", syncId: 5 }, { VI_1: "MASTER" })).toEqual(["master", "backup"]);
  expect(wantedSyncDaemons(undefined, { VI_1: "MASTER" })).toEqual([]);
});

test("the kernel request carries the plan's settings without the instance", () => {
  expect(syncDaemonSpec({ ...PLAN, maxLength: 1400 }, "master")).toEqual({ interfaceName: "eth0", syncId: 5, maxLength: 1400, state: "master" });
});
