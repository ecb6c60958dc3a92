import { describe, expect, test } from "bun:test";
import { parseIpv4 } from "../../../../src/common/ipv4.ts";
import { historyEventOf } from "../../../../src/daemon/engine/history-events.ts";
import type { InstancePlan } from "../../../../src/vrrp/instance-plan.ts";

const plan = { name: "VI_1", machine: { basePriority: 90 } } as InstancePlan;

describe("runtime events as history records", () => {
  test("a takeover after the master went silent: cause, peer, adverts missed, takeover time", () => {
    const event = historyEventOf(
      {
        kind: "transition",
        plan,
        takeoverMs: 3650.2,
        transition: {
          instance: "VI_1",
          from: "BACKUP",
          to: "MASTER",
          effectivePriority: 90,
          atMs: 0,
          reason: {
            cause: "master-down-timer",
            detail: "no advert from master 10.99.0.11 for 3649 ms (3 adverts missed)",
            peer: { ip: parseIpv4("10.99.0.11")!, priority: 100 },
            lastAdvertHeardMs: 0,
            silentMs: 3649.4,
            advertsMissed: 3,
          },
        },
      },
      1_800_000_000_000,
    );
    expect(event).toEqual({
      kind: "vrrp.transition",
      atMs: 1_800_000_000_000,
      instance: "VI_1",
      summary: "VI_1 BACKUP -> MASTER: no advert from master 10.99.0.11 for 3649 ms (3 adverts missed) (takeover 3650.2 ms)",
      data: {
        from: "BACKUP",
        to: "MASTER",
        cause: "master-down-timer",
        detail: "no advert from master 10.99.0.11 for 3649 ms (3 adverts missed)",
        peer: { address: "10.99.0.11", priority: 100 },
        priority: { base: 90, effective: 90 },
        advertsMissed: 3,
        takeoverMs: 3650.2,
      },
    });
  });

  test("adverts missed come from the reason's field, never from its wording", () => {
    const transition = (reason: { cause: "master-down-timer"; detail: string; advertsMissed?: number }) =>
      historyEventOf({ kind: "transition", plan, transition: { instance: "VI_1", from: "BACKUP", to: "MASTER", effectivePriority: 90, atMs: 0, reason } }, 5);
    const counted = transition({ cause: "master-down-timer", detail: "the master went quiet", advertsMissed: 4 });
    expect(counted.kind === "vrrp.transition" && counted.data.advertsMissed).toBe(4);
    const uncounted = transition({ cause: "master-down-timer", detail: "no master heard for 3649 ms (3 adverts missed)" });
    expect(uncounted.kind === "vrrp.transition" && "advertsMissed" in uncounted.data).toBe(false);
  });

  test("another master heard while master is recorded as a split brain", () => {
    const event = historyEventOf({ kind: "other-master", plan, peer: parseIpv4("10.99.0.12")!, peerPriority: 90, ourPriority: 100 }, 5);
    expect(event.kind).toBe("vrrp.split-brain");
    expect(event.data).toEqual({ peer: { address: "10.99.0.12", priority: 90 }, ourPriority: 100 });
  });

  test("a failing script keeps its exit code and bounded output", () => {
    const event = historyEventOf(
      { kind: "tracker", event: { kind: "script", name: "chk", healthy: false, detail: "exited with status 1", exitCode: 1, output: "x".repeat(10_000) } },
      5,
    );
    expect(event.summary).toBe("script chk failed: exited with status 1");
    expect(event.kind === "tracker.change" && event.data.output?.length).toBe(4096);
  });
});
