// tandem's `slowstart SECONDS` in virtual_server (its real servers' default) and real_server
// (its own): parsed, inherited, validated with located errors, and carried into the director's
// plans as milliseconds on each resolved real server.
import { describe, expect, test } from "bun:test";
import { planVirtualServers } from "../../../src/ipvs/plan-virtual-servers.ts";
import { resolvePlans } from "../../../src/ipvs/resolve-plan.ts";
import { parseText } from "./helpers.ts";

/** A virtual server with `vsLine` after its header lines, and real servers with their own lines. */
const config = (vsLine: string, ...rsLines: string[]) =>
  parseText(
    `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  ${vsLine}\n${rsLines
      .map((line, i) => `  real_server 10.0.0.${i + 2} 80 {\n    ${line}\n  }\n`)
      .join("")}}\n`,
  );
const realServers = (r: ReturnType<typeof parseText>) => r.config!.virtualServers[0]!.realServers;
const resolvedMs = (r: ReturnType<typeof parseText>) => resolvePlans(planVirtualServers(r.config!)).virtualServers[0]!.realServers.map((rs) => rs.slowStartMs);

describe("slowstart", () => {
  test("in virtual_server: the default of its real servers; in real_server: its own, 0 included, over the virtual server's", () => {
    const r = config("slowstart 30", "", "slowstart 2.5", "slowstart 0");
    expect(r.messages).toEqual([]);
    expect(r.config!.virtualServers[0]!.slowStartS).toBe(30);
    expect(realServers(r).map((rs) => rs.slowStartS)).toEqual([30, 2.5, 0]);
    expect(resolvedMs(r)).toEqual([30_000, 2_500, 0]);
  });

  test("fractions of a second, to the millisecond; unset anywhere: absent from the model, 0 (off) in the plans, as keepalived has it", () => {
    expect(resolvedMs(config("", "slowstart 0.5", "slowstart .25", "slowstart 0.0015"))).toEqual([500, 250, 2]);
    const none = config("", "");
    expect(none.messages).toEqual([]);
    expect("slowStartS" in realServers(none)[0]!).toBe(false);
    expect("slowStartS" in none.config!.virtualServers[0]!).toBe(false);
    expect(resolvedMs(none)).toEqual([0]);
  });

  test("the largest is a day", () => {
    const r = config("slowstart 86400", "");
    expect(r.messages).toEqual([]);
    expect(resolvedMs(r)).toEqual([86_400_000]);
  });

  test("errors, located at the value: negative, over a day, not a number, below a millisecond, none given; the configuration is refused", () => {
    expect(config("slowstart -1", "").errors).toEqual(["keepalived.conf:5:13: error: slowstart must be 0..86400, got -1"]);
    expect(config("", "slowstart 86401").errors).toEqual(["keepalived.conf:7:15: error: slowstart must be 0..86400, got 86401"]);
    expect(config("", "slowstart 10s").errors).toEqual(["keepalived.conf:7:15: error: slowstart must be a number 0..86400, got 10s"]);
    expect(config("", "slowstart 0.0001").errors).toEqual([
      "keepalived.conf:7:15: error: slowstart must be 0 (off) or at least 0.001 (seconds; the ramp counts milliseconds), got 0.0001",
    ]);
    expect(config("slowstart", "").errors).toEqual(["keepalived.conf:5:3: error: slowstart needs a number of seconds 0..86400 (0: off)"]);
    expect(config("slowstart 5", "slowstart -3").config).toBeUndefined();
  });

  test("extra arguments are warned about and ignored", () => {
    const r = config("", "slowstart 3 fast");
    expect(r.warnings).toEqual(["keepalived.conf:7:17: warning: extra arguments after slowstart ignored: fast"]);
    expect(resolvedMs(r)).toEqual([3_000]);
  });
});
