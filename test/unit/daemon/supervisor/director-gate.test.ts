// The supervisor's bookkeeping of the director-ready gate (director-gate.ts), on a fake clock:
// armed once, what an engine started meanwhile is given, and one message to open it.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { DirectorGate } from "../../../../src/daemon/supervisor/director-gate.ts";

describe("DirectorGate", () => {
  test("not armed: an engine is started without a gate, and a report is no news", () => {
    const gate = new DirectorGate(new FakeClock());
    expect(gate.forEngineStart()).toBeUndefined();
    expect(gate.report("ready")).toBeUndefined();
  });

  test("armed: the first engine gets the whole bound, which runs from then; an engine started later gets what is left; none after it", () => {
    const clock = new FakeClock();
    const gate = new DirectorGate(clock);
    gate.arm(15_000);
    clock.advance(30);
    expect(gate.forEngineStart()).toEqual({ timeoutMs: 15_000 });
    clock.advance(4_000);
    expect(gate.forEngineStart()).toEqual({ timeoutMs: 11_000 });
    clock.advance(11_000);
    expect(gate.forEngineStart()).toBeUndefined();
  });

  test("the first report opens it, once: later reports (a restarted director's) say nothing", () => {
    const gate = new DirectorGate(new FakeClock());
    gate.arm(15_000);
    expect(gate.report("unavailable", "no IPVS")).toEqual({ type: "director", outcome: "unavailable", detail: "no IPVS" });
    expect(gate.forEngineStart()).toBeUndefined();
    expect(gate.report("ready")).toBeUndefined();
  });

  test("director_ready_timeout 0: never armed", () => {
    const gate = new DirectorGate(new FakeClock());
    gate.arm(0);
    expect(gate.forEngineStart()).toBeUndefined();
    expect(gate.report("ready")).toBeUndefined();
  });
});
