// vrrp_startup_delay (keepalived 2.2.7 global_parser.c: seconds with up to 6 decimals, 0.001 s
// to UINT_MAX us, "very large" from 60 s) and tandem's director_ready_timeout.
import { describe, expect, test } from "bun:test";
import { keywordSupport } from "../../../src/config/index.ts";
import { instance, parseText } from "./helpers.ts";

const global = (line: string) => parseText(`global_defs {\n  ${line}\n}\n${instance("")}`);
const defsOf = (r: ReturnType<typeof parseText>) => r.config?.globalDefs;

describe("vrrp_startup_delay", () => {
  test("absent: no delay", () => {
    expect(defsOf(global(""))?.vrrpStartupDelayS).toBeUndefined();
  });

  test("seconds, with fractions down to keepalived's 1 ms minimum and up to its UINT_MAX microseconds", () => {
    for (const [text, seconds] of [
      ["10", 10],
      ["0.5", 0.5],
      [".25", 0.25],
      ["3.", 3],
      ["0.001", 0.001],
      ["4294.967295", 4294.967295],
    ] as const) {
      const r = global(`vrrp_startup_delay ${text}`);
      expect({ text, errors: r.errors, seconds: defsOf(r)?.vrrpStartupDelayS }).toEqual({ text, errors: [], seconds });
    }
  });

  test("out of range, negative or not a number: an error that says the range", () => {
    for (const text of ["0", "0.0009", "4294.967296", "-1", "ten", "1e3", "0x10"]) {
      expect(global(`vrrp_startup_delay ${text}`).errors).toEqual([
        `keepalived.conf:2:22: error: vrrp_startup_delay must be ${/^[\d.]+$/.test(text) ? "0.001..4294.967295 seconds" : "a number of seconds 0.001..4294.967295"}, got ${text}`,
      ]);
    }
    expect(global("vrrp_startup_delay").errors).toEqual(["keepalived.conf:2:3: error: vrrp_startup_delay needs seconds 0.001..4294.967295"]);
  });

  test("more than 6 decimals: keepalived's warning, rounded at the sixth", () => {
    const r = global("vrrp_startup_delay 0.0012345");
    expect(r.messages).toEqual(["keepalived.conf:2:22: warning: vrrp_startup_delay 0.0012345 has more than 6 decimal places; rounded to 6"]);
    expect(defsOf(r)?.vrrpStartupDelayS).toBe(0.001235);
  });

  test("60 s and more: a warning that it is very large, as keepalived logs", () => {
    const r = global("vrrp_startup_delay 90");
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      "keepalived.conf:2:22: warning: vrrp_startup_delay 90 is very large: every VRRP instance stays BACKUP for 90 s after each start",
    ]);
    expect(defsOf(r)?.vrrpStartupDelayS).toBe(90);
  });

  test("is supported now, with a note of what it does", () => {
    expect(keywordSupport().find((k) => k.keyword === "vrrp_startup_delay")).toEqual({
      keyword: "vrrp_startup_delay",
      block: "global_defs",
      status: "supported",
      note: "held in BACKUP (no advert, no VIP) for this long after a start, not after a reload; adverts heard meanwhile count",
    });
  });
});

describe("director_ready_timeout (tandem)", () => {
  test("15 s by default; 0 turns the gate off; milliseconds allowed", () => {
    expect(defsOf(global(""))?.directorReadyTimeoutS).toBe(15);
    expect(defsOf(global("director_ready_timeout 0"))?.directorReadyTimeoutS).toBe(0);
    expect(defsOf(global("director_ready_timeout 2.5"))?.directorReadyTimeoutS).toBe(2.5);
    expect(defsOf(global("director_ready_timeout 3600"))?.directorReadyTimeoutS).toBe(3600);
  });

  test("beyond an hour, negative, or not a number: an error", () => {
    expect(global("director_ready_timeout 3601").errors).toEqual(["keepalived.conf:2:26: error: director_ready_timeout must be 0..3600 seconds, got 3601"]);
    expect(global("director_ready_timeout -5").errors).toEqual([
      "keepalived.conf:2:26: error: director_ready_timeout must be a number of seconds 0..3600, got -5",
    ]);
    expect(global("director_ready_timeout 10 20").warnings).toEqual([
      "keepalived.conf:2:29: warning: extra arguments after director_ready_timeout ignored: 20",
    ]);
  });

  test("is marked as a tandem extension in the keyword table", () => {
    expect(keywordSupport().find((k) => k.keyword === "director_ready_timeout")?.note).toStartWith("tandem extension; at start, with virtual servers,");
  });
});
