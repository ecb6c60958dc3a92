// tandem's table beside keepalived 2.2.7's for the configurations captured in
// test/fixtures/ipvs-keepalived (the shared samples with virtual servers and richer files):
// each is taken through the config front end, planVirtualServers, resolvePlans, the quorum
// machine and desiredTable, applied to a fake kernel with the guest kernel's modules (the
// appliance's 6.1: every scheduler but twos, no SIP persistence engine) and its refusals,
// printed as `ipvsadm -Sn` prints it, sorted, and compared with what keepalived programmed
// from the same file in that guest. Files whose real servers have checkers wait for the
// checkers (the next issue): keepalived's tables there show what its checks found.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ipvsadmSave } from "../../../src/ipvs/ipvsadm-save.ts";
import { reconcile } from "../../../src/ipvs/reconcile.ts";
import { FakeIpvsKernel, KERNEL_SCHEDULERS } from "../support/fake-ipvs-kernel.ts";
import { TestDirector } from "./support/director.ts";
import { plansOf } from "./support/keepalived-tables.ts";

const DIR = join(import.meta.dir, "../../fixtures/ipvs-keepalived");
/** The appliance kernel the captures ran on. */
const GUEST_KERNEL = { schedulers: KERNEL_SCHEDULERS.filter((s) => s !== "twos"), persistenceEngines: [] };

/** The capture's lines without its header comments. */
function capturedLines(file: string): string[] {
  return readFileSync(join(DIR, file), "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"));
}

const cOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What the guest's kernel holds after tandem programs the file into an empty table. */
function tandemLines(configText: string): string[] {
  const desired = new TestDirector(plansOf(configText)).start().table().table;
  const kernel = new FakeIpvsKernel({ services: [] }, GUEST_KERNEL);
  kernel.apply(reconcile(desired, kernel.dump(), { owned: new Set() }));
  return ipvsadmSave(kernel.dump()).split("\n").filter(Boolean).sort(cOrder);
}

/**
 * Where keepalived 2.2.7 is wrong and tandem does not follow it. groups.reload: the services of
 * the range the reload removed from the group stay in keepalived's table with no real server
 * ("Unknown protocol 0 at protocol_to_index" in groups.log); tandem removes them.
 */
const KEEPALIVED_BUGS: Record<string, string[]> = {
  "groups.reload": ["-A -t 10.2.0.1:80 -s rr", "-A -t 10.2.0.2:80 -s rr", "-A -t 10.2.0.3:80 -s rr"],
};

const configs = readdirSync(join(DIR, "configs"))
  .filter((f) => f.endsWith(".conf"))
  .map((f) => f.slice(0, -".conf".length))
  .sort();
/** "x.reload" is what "x" became at its reload: compared with x.reload.txt; the others at start. */
const captureOf = (name: string) => (name.endsWith(".reload") ? `${name}.txt` : `${name}.start.txt`);
const hasCheckers = (text: string) =>
  /^\s*(TCP_CHECK|HTTP_GET|SSL_GET|SMTP_CHECK|DNS_CHECK|UDP_CHECK|PING_CHECK|MISC_CHECK|FILE_CHECK|BFD_CHECK)\b/m.test(text);

describe("the same file programs keepalived's table", () => {
  test("every capture is here", () => {
    expect(configs.length).toBeGreaterThanOrEqual(30);
  });
  for (const name of configs) {
    const text = readFileSync(join(DIR, "configs", `${name}.conf`), "utf8");
    if (hasCheckers(text)) {
      test.todo(`${name}: its real servers have checkers, whose verdicts keepalived's table shows (the checkers' issue)`);
      continue;
    }
    test(name, () => {
      const wrong = new Set(KEEPALIVED_BUGS[name] ?? []);
      const captured = capturedLines(captureOf(name));
      for (const line of wrong) expect(captured).toContain(line); // the bug is still in the capture
      expect(tandemLines(text)).toEqual(captured.filter((line) => !wrong.has(line)).sort(cOrder));
    });
  }
});
