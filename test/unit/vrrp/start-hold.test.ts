// The hold at start as a pure step (vrrp/start-hold.ts): vrrp_startup_delay's fixed end, the
// director gate's report or bound, the later of the two ending it, and nothing after that.
import { describe, expect, test } from "bun:test";
import { createStartHold, heldBy, holdSummary, holdUntilMs, holdWakeMs, stepHold, type StartHold } from "../../../src/vrrp/start-hold.ts";

const T0 = 1_000;

function run(hold: StartHold, inputs: [number, Parameters<typeof stepHold>[1]][]) {
  const log: string[] = [];
  for (const [atMs, input] of inputs) {
    const step = stepHold(hold, input, atMs);
    hold = step.hold;
    for (const e of step.effects)
      log.push(
        `${atMs - T0} ${e.kind === "moved" ? `moved ${e.untilMs === undefined ? "now" : e.untilMs - T0}` : e.kind === "note" ? `note ${e.message}` : `released ${e.release} ${e.heldMs}`}`,
      );
  }
  return { hold, log };
}

describe("the hold at start", () => {
  test("nothing configured: nothing held", () => {
    const hold = createStartHold(T0, {});
    expect([holdUntilMs(hold), holdWakeMs(hold), holdSummary(hold), heldBy(hold, T0)]).toEqual([undefined, undefined, undefined, []]);
    expect(createStartHold(T0, { startupDelayMs: 0, directorTimeoutMs: 0 }).gate).toBeUndefined();
  });

  test("vrrp_startup_delay alone: a fixed end, released by the timer there and not before", () => {
    const hold = createStartHold(T0, { startupDelayMs: 4_000 });
    expect(holdUntilMs(hold)).toBe(T0 + 4_000);
    expect(holdSummary(hold)).toBe("VRRP instances held in BACKUP for vrrp_startup_delay (4 s): no advert, no virtual address before then");
    const { log, hold: after } = run(hold, [
      [T0 + 3_999, { kind: "timer" }],
      [T0 + 4_000, { kind: "timer" }],
      [T0 + 5_000, { kind: "timer" }],
    ]);
    expect(log).toEqual(["4000 released startup-delay-over 4000"]);
    expect([holdUntilMs(after), holdWakeMs(after), heldBy(after, T0 + 4_000)]).toEqual([undefined, undefined, []]);
  });

  test("the gate alone: its bound is the end until the director reports; the report ends it at once", () => {
    const hold = createStartHold(T0, { directorTimeoutMs: 15_000 });
    expect(holdUntilMs(hold)).toBe(T0 + 15_000);
    expect(heldBy(hold, T0 + 1)).toEqual(["director"]);
    const { log } = run(hold, [
      [T0 + 2_500, { kind: "director", outcome: "ready" }],
      [T0 + 3_000, { kind: "director", outcome: "unavailable" }],
      [T0 + 15_000, { kind: "timer" }],
    ]);
    expect(log).toEqual(["2500 moved now", "2500 released director-ready 2500"]);
  });

  test("the director before the delay's end: the machines' end moves to the delay's, with a note; the delay releases", () => {
    const hold = createStartHold(T0, { startupDelayMs: 5_000, directorTimeoutMs: 15_000 });
    expect(holdUntilMs(hold)).toBe(T0 + 15_000);
    const first = stepHold(hold, { kind: "director", outcome: "ready" }, T0 + 1_200);
    expect(first.effects).toEqual([
      { kind: "moved", untilMs: T0 + 5_000 },
      { kind: "note", message: "the director programmed IPVS after 1200 ms; vrrp_startup_delay holds the VRRP instances 3800 ms more" },
    ]);
    expect(heldBy(first.hold, T0 + 1_200)).toEqual(["vrrp_startup_delay"]);
    expect(holdWakeMs(first.hold)).toBe(T0 + 5_000);
    const done = stepHold(first.hold, { kind: "timer" }, T0 + 5_000);
    expect(done.effects).toEqual([
      {
        kind: "released",
        release: "startup-delay-over",
        heldMs: 5_000,
        summary: "VRRP instances released after 5000 ms: vrrp_startup_delay (5 s) over; the director programmed IPVS after 1200 ms",
      },
    ]);
  });

  test("a bound shorter than the delay: the gate times out unseen, and the delay's end releases with both said", () => {
    const hold = createStartHold(T0, { startupDelayMs: 20_000, directorTimeoutMs: 15_000 });
    expect(holdWakeMs(hold)).toBe(T0 + 20_000);
    expect(heldBy(hold, T0 + 16_000)).toEqual(["vrrp_startup_delay", "director"]);
    const done = stepHold(hold, { kind: "timer" }, T0 + 20_000);
    expect(done.effects).toEqual([
      {
        kind: "released",
        release: "startup-delay-over",
        heldMs: 20_000,
        summary:
          "VRRP instances released after 20000 ms: vrrp_startup_delay (20 s) over; the director had not programmed IPVS within director_ready_timeout (15 s)",
      },
    ]);
  });

  test("the bound: released by timeout, and the director's later report is no news", () => {
    const hold = createStartHold(T0, { startupDelayMs: 2_000, directorTimeoutMs: 15_000 });
    const { log } = run(hold, [
      [T0 + 2_000, { kind: "timer" }],
      [T0 + 15_000, { kind: "timer" }],
      [T0 + 16_000, { kind: "director", outcome: "ready" }],
    ]);
    expect(log).toEqual(["15000 released director-timeout 15000"]);
  });

  test("IPVS unavailable and the director stopped, with what they said", () => {
    const unavailable = stepHold(
      createStartHold(T0, { directorTimeoutMs: 15_000 }),
      { kind: "director", outcome: "unavailable", detail: "no ip_vs" },
      T0 + 700,
    );
    expect(unavailable.effects.at(-1)).toMatchObject({
      release: "ipvs-unavailable",
      summary: "VRRP instances released after 700 ms: IPVS is unavailable (no ip_vs), found after 700 ms; VRRP runs without it",
    });
    const stopped = stepHold(createStartHold(T0, { directorTimeoutMs: 15_000 }), { kind: "director", outcome: "stopped", detail: "no virtual_server" }, T0 + 9);
    expect(stopped.effects.at(-1)).toMatchObject({ release: "director-stopped" });
  });
});
