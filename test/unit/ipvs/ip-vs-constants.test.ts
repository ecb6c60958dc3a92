// The IPVS constants against the kernel's uapi header itself: every value we export under a
// kernel name matches <linux/ip_vs.h>, and every command and attribute of the header exists.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import * as ours from "../../../src/ipvs/ip-vs-constants.ts";

const HEADER = "/usr/include/linux/ip_vs.h";

/** NAME -> value from the header's #defines (plain numbers, shifts, aliases) and its enums. */
function headerConstants(text: string): Map<string, number> {
  const values = new Map<string, number>();
  const valueOf = (expression: string): number | undefined => {
    const e = expression
      .replace(/\/\*.*?\*\//g, "")
      .trim()
      .replace(/^\((.*)\)$/, "$1")
      .trim();
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(e)) return Number(e);
    const shift = /^(\d+)\s*<<\s*(\d+)$/.exec(e);
    if (shift) return Number(shift[1]) << Number(shift[2]);
    return values.get(e);
  };
  for (const match of text.matchAll(/^#define\s+(\w+)\s+(.+)$/gm)) {
    const value = valueOf(match[2]!);
    if (value !== undefined) values.set(match[1]!, value);
  }
  for (const block of text.matchAll(/enum\s*\{([^}]*)\}/g)) {
    let next = 0;
    for (const line of block[1]!.replace(/\/\*[\s\S]*?\*\//g, "").split(",")) {
      const member = /^\s*(\w+)\s*(?:=\s*(.+))?\s*$/.exec(line);
      if (!member) continue;
      next = member[2] !== undefined ? valueOf(member[2])! : next;
      values.set(member[1]!, next++);
    }
  }
  return values;
}

describe.skipIf(!existsSync(HEADER))(`constants against ${HEADER}`, () => {
  const header = headerConstants(existsSync(HEADER) ? readFileSync(HEADER, "utf8") : "");

  test("every exported number carries the header's value", () => {
    const numeric = Object.entries(ours).filter(([, value]) => typeof value === "number") as [string, number][];
    const mismatches = numeric
      .filter(([name, value]) => header.get(name) !== value)
      .map(([name, value]) => `${name}: ours ${value}, header ${header.get(name)}`);
    expect(mismatches).toEqual([]);
    expect(numeric.length).toBeGreaterThan(100);
  });

  test("every command and attribute of the header is exported", () => {
    const wanted = [...header.keys()].filter(
      (name) => /^(IPVS_(CMD|CMD_ATTR|SVC_ATTR|DEST_ATTR|DAEMON_ATTR|STATS_ATTR|INFO_ATTR)_|IP_VS_(SVC_F|CONN_F|STATE|TUNNEL))/.test(name) && !/MAX/.test(name),
    );
    const missing = wanted.filter((name) => !(name in ours) && !/^IP_VS_CONN_F_(BACKUP|DEST|NFCT)/.test(name));
    expect(missing).toEqual([]);
  });

  test("the family's name and version", () => {
    expect(readFileSync(HEADER, "utf8")).toContain(`#define IPVS_GENL_NAME\t\t"${ours.IPVS_GENL_NAME}"`);
    expect(header.get("IPVS_GENL_VERSION")).toBe(ours.IPVS_GENL_VERSION);
  });
});
