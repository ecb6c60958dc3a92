import { describe, expect, test } from "bun:test";
import { decideSyncGroup, SyncGroupDriver, type MemberView, type SyncMember } from "../../../src/vrrp/sync-group.ts";

const view = (
  name: string,
  state: MemberView["state"],
  wantState: MemberView["wantState"] = state === "MASTER" ? "MASTER" : "BACKUP",
  ownFault = false,
): MemberView => ({ name, state, wantState, ownFault });

describe("sync group decisions (keepalived vrrp_sync.c)", () => {
  test("MASTER only when every member wants it", () => {
    expect(decideSyncGroup([view("a", "BACKUP", "MASTER"), view("b", "BACKUP", "BACKUP")])).toEqual({ target: "BACKUP", forces: [] });
    expect(decideSyncGroup([view("a", "BACKUP", "MASTER"), view("b", "BACKUP", "MASTER")])).toEqual({
      target: "MASTER",
      forces: [
        { name: "a", state: "MASTER" },
        { name: "b", state: "MASTER" },
      ],
    });
  });
  test("one member's own fault faults the group; a member wanting BACKUP pulls the masters down", () => {
    expect(decideSyncGroup([view("a", "MASTER"), view("b", "FAULT", "FAULT", true)]).forces).toEqual([{ name: "a", state: "FAULT" }]);
    expect(decideSyncGroup([view("a", "MASTER"), view("b", "BACKUP")]).forces).toEqual([{ name: "a", state: "BACKUP" }]);
  });
  test("nothing is decided while a member is starting or stopped", () => {
    expect(decideSyncGroup([view("a", "INIT"), view("b", "MASTER")])).toEqual({ target: undefined, forces: [] });
  });
});

describe("SyncGroupDriver", () => {
  const member = (name: string, state: MemberView["state"]): SyncMember => ({ name, view: () => view(name, state), force: () => {} });

  test("a group kept through a reload starts from its state and reports no transition", () => {
    const reported: string[] = [];
    const driver = new SyncGroupDriver("G", (from, to) => reported.push(`${from}->${to}`), "MASTER");
    driver.add(member("a", "MASTER"));
    driver.add(member("b", "MASTER"));
    driver.reconcile();
    expect(reported).toEqual([]);
    expect(driver.state()).toBe("MASTER");
  });

  test("a new group reports its first state", () => {
    const reported: string[] = [];
    const driver = new SyncGroupDriver("G", (from, to) => reported.push(`${from}->${to}`));
    driver.add(member("a", "BACKUP"));
    driver.reconcile();
    expect(reported).toEqual(["INIT->BACKUP"]);
  });

  test("announced BACKUP before its members start (keepalived vrrp_init_state), it never reports INIT nor BACKUP again as they start", () => {
    const reported: string[] = [];
    const states: Record<string, MemberView["state"]> = { a: "INIT", b: "INIT" };
    const driver = new SyncGroupDriver("G", (from, to) => reported.push(`${from}->${to}`));
    for (const name of ["a", "b"]) driver.add({ name, view: () => view(name, states[name]!), force: () => {} });
    driver.announce("BACKUP");
    states.a = "BACKUP";
    driver.reconcile();
    states.b = "BACKUP";
    driver.reconcile();
    expect(reported).toEqual(["INIT->BACKUP"]);
    // Only a new group is announced.
    driver.announce("FAULT");
    expect(reported).toEqual(["INIT->BACKUP"]);
  });
});
