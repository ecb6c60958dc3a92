// The seed's worked example (seed README section 4; article lines ~147-150): two nodes,
// two instances, each Master of one. Both files are accepted by `keepalived -t`.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { formatIpv4 } from "../../../src/common/ipv4.ts";
import { nodeFiles, parseConfig, type Config } from "../../../src/config/index.ts";

const load = (name: string) => parseConfig(join(import.meta.dir, "../../fixtures/config", name), nodeFiles);
const summary = (c: Config) =>
  c.vrrpInstances.map((i) => ({
    name: i.name,
    state: i.initialState,
    vrid: i.vrid,
    priority: i.priority,
    vips: i.virtualIps.map((v) => `${formatIpv4(v.address)}/${v.prefixLength}`),
    auth: i.auth?.password,
    tracks: i.trackScripts.map((t) => t.name),
  }));

describe("seed worked example", () => {
  for (const name of ["seed-180.conf", "seed-179.conf"]) {
    test(`${name} parses with no diagnostics at all`, () => {
      const r = load(name);
      expect(r.diagnostics).toEqual([]);
      expect(r.config).toBeDefined();
    });
  }

  test("node .180: Master of VI_1 (VRID 51, .41, priority 100), Backup of VI_2 (VRID 52, .51, priority 90)", () => {
    const c = load("seed-180.conf").config!;
    expect(summary(c)).toEqual([
      { name: "VI_1", state: "MASTER", vrid: 51, priority: 100, vips: ["192.168.100.41/32"], auth: "vi111", tracks: ["chk_mt_down"] },
      { name: "VI_2", state: "BACKUP", vrid: 52, priority: 90, vips: ["192.168.100.51/32"], auth: "vi222", tracks: ["chk_mt_down"] },
    ]);
    expect(c.vrrpInstances.every((i) => i.interface === "eth0" && i.advertIntervalCs === 100 && i.preempt && i.version === 2)).toBe(true);
  });

  test("node .179: the reverse", () => {
    const c = load("seed-179.conf").config!;
    expect(summary(c).map((i) => [i.name, i.state, i.priority])).toEqual([
      ["VI_1", "BACKUP", 90],
      ["VI_2", "MASTER", 100],
    ]);
  });

  test("chk_mt_down: interval 1, weight -15 (85 < 90 moves VI_2 to .180), default rise/fall 1; global_defs as in the article", () => {
    const c = load("seed-179.conf").config!;
    expect(c.vrrpScripts).toHaveLength(1);
    expect(c.vrrpScripts[0]).toMatchObject({
      name: "chk_mt_down",
      script: "[ -f /etc/keepalived/down ] && exit 1 || exit 0",
      intervalS: 1,
      weight: -15,
      rise: 1,
      fall: 1,
    });
    const vi2 = c.vrrpInstances[1]!;
    expect(vi2.priority + c.vrrpScripts[0]!.weight).toBe(85);
    expect(c.globalDefs).toMatchObject({
      routerId: "LVS_DEVEL",
      notificationEmail: ["xxj@192.168.100.180"],
      notificationEmailFrom: "xiexiaojun",
      smtpServer: { host: "127.0.0.1", port: 25 },
      smtpConnectTimeoutS: 30,
    });
  });
});
