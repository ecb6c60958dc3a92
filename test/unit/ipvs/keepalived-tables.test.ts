// The same keepalived.conf programs the same IPVS table in tandem as in keepalived 2.2.7:
// each file in test/fixtures/ipvs/keepalived is taken through the config front end,
// planVirtualServers, resolvePlans, the quorum machine and desiredTable, and printed as
// ipvsadm prints it; the result must be what ipvsadm printed of the table keepalived
// programmed from that file in a guest (capture-tables.ts), at start, after a reload, after stop.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ipvsadmList } from "../../../src/ipvs/ipvsadm-list.ts";
import { ipvsadmSave, sortedIpvsadmSave } from "../../../src/ipvs/ipvsadm-save.ts";
import { TestDirector } from "./support/director.ts";
import { KEEPALIVED_FIXTURES, keepalivedConfig, keepalivedTables, plansOf, sortedListing } from "./support/keepalived-tables.ts";

/** GET_INFO of the appliance kernel, as the captured listings begin. */
const INFO = { version: "1.2.1", connectionTableSize: 4096 };

const printouts = (director: TestDirector) => {
  const table = director.table().table;
  return { save: ipvsadmSave(table), thresholds: ipvsadmList(table, { listing: "thresholds", info: INFO }) };
};

/**
 * Where ipvsadm's comparison is a consistent order its printout is the same whatever order the
 * kernel dumped in, so tandem's must match byte for byte. forwarding.conf's first service has
 * destinations 2^31 apart, which ipvsadm compares inconsistently: there its order follows the
 * kernel's hash order, and only the sorted texts can be compared.
 */
const inconsistentOrder = new Set(["forwarding"]);

/**
 * The one difference, on purpose: keepalived 2.2.7 starting with the quorum down leaves a sorry
 * server that is also an inhibited real server at that server's weight 0 (its ADD_DEST meets
 * EEXIST, which it logs), where losing the quorum later sets weight 1 (EDIT_DEST). Tandem
 * gives weight 1 both ways; see sorry.tables' log.
 */
const KNOWN_DIFFERENCES: Record<string, [string, string][]> = {
  sorry: [["-a -t 10.0.5.41:80 -r 10.0.5.42:80 -m -w 0", "-a -t 10.0.5.41:80 -r 10.0.5.42:80 -m -w 1"]],
};

const keepalivedsAsTandemHasIt = (name: string, text: string): string =>
  (KNOWN_DIFFERENCES[name] ?? []).reduce((t, [theirs, ours]) => t.replace(`${theirs}\n`, `${ours}\n`), text);

function compare(name: string, ours: { save: string; thresholds: string }, save: string, thresholds: string): void {
  const expected = keepalivedsAsTandemHasIt(name, save);
  expect(sortedIpvsadmSave(ours.save)).toBe(sortedIpvsadmSave(expected));
  expect(sortedListing(ours.thresholds)).toBe(sortedListing(thresholds));
  if (inconsistentOrder.has(name)) return;
  expect(ours.save).toBe(expected);
  expect(ours.thresholds).toBe(thresholds);
}

for (const name of ["forwarding", "services", "families", "groups", "sorry"]) {
  describe(`${name}.conf`, () => {
    const captured = keepalivedTables(name);
    const start = () => new TestDirector(plansOf(keepalivedConfig(name))).start();

    test("at start: ipvsadm -S -n and ipvsadm -L -n --thresholds", () => {
      compare(name, printouts(start()), captured.get("start (ipvsadm -S -n)")!, captured.get("start (ipvsadm -L -n --thresholds)")!);
    });

    if (existsSync(join(KEEPALIVED_FIXTURES, `${name}.reload.conf`))) {
      test(`after a reload to ${name}.reload.conf`, () => {
        const ours = printouts(start().reload(plansOf(keepalivedConfig(`${name}.reload`))));
        compare(name, ours, captured.get("reload (ipvsadm -S -n)")!, captured.get("reload (ipvsadm -L -n --thresholds)")!);
      });
    }

    test("after stop: nothing left, as keepalived leaves nothing", () => {
      expect(captured.get("stop (ipvsadm -S -n)")).toBe("");
      expect(ipvsadmSave(start().stop().table().table)).toBe("");
    });
  });
}

test("the known difference is still one: keepalived logged the EEXIST it met", () => {
  const log = keepalivedTables("sorry").get("log (keepalived -n -l -G -D -C)")!;
  expect(log).toContain("Enabling sorry server [10.0.5.42]:tcp:80 to VS [10.0.5.41]:tcp:80");
  expect(log).toContain("IP_VS_SO_SET_ADDDEST(1159) error: Destination already exists(17) (10.0.5.41:tcp:80 -> 10.0.5.42:80)");
  expect(keepalivedTables("sorry").get("start (ipvsadm -S -n)")).toContain(KNOWN_DIFFERENCES.sorry![0]![0]);
});

test("the sorry server of a NAT virtual server keeps no port when none is written (keepalived fills in only real servers')", () => {
  expect(keepalivedTables("sorry").get("start (ipvsadm -S -n)")).toContain("-a -t 10.0.5.1:80 -r 10.0.5.9:0 -m -w 1\n");
  expect(printouts(new TestDirector(plansOf(keepalivedConfig("sorry"))).start()).save).toContain("-a -t 10.0.5.1:80 -r 10.0.5.9:0 -m -w 1\n");
});
