// tandem's table beside keepalived 2.2.7's for the configurations captured in
// test/fixtures/ipvs-keepalived (the shared samples with virtual servers and richer files),
// after start, after a reload to NAME.reload.conf where there is one, and after a stop (and a
// stop with -I where captured): each file is taken through the config front end and
// planVirtualServers to the Director itself, over a fake kernel with the guest kernel's modules
// (the appliance's 6.1: every scheduler but twos, no SIP persistence engine) and its refusals,
// printed as `ipvsadm -Sn` prints it, sorted, and compared with what keepalived programmed from
// the same files in that guest. Files whose real servers have checkers are compared in
// test/unit/daemon/director/keepalived-checked-tables.test.ts, where the checks run.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { FakeClock } from "../../../src/common/clock.ts";
import { memoryLogger } from "../../../src/common/logger.ts";
import { Director } from "../../../src/ipvs/director.ts";
import { NO_INTENT } from "../../../src/ipvs/director-types.ts";
import { ipvsadmSave } from "../../../src/ipvs/ipvsadm-save.ts";
import { FakeIpvsKernel, KERNEL_SCHEDULERS } from "../support/fake-ipvs-kernel.ts";
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

/** The Director on a fake kernel of the guest's, as the director process runs it (its ownership record in memory). */
function rig() {
  const kernel = new FakeIpvsKernel({ services: [] }, GUEST_KERNEL);
  let owned = new Set<string>();
  const director = new Director({
    kernel: kernel.port(),
    ownership: { owned: () => new Set(owned), replace: (services) => ((owned = new Set(services)), { ok: true as const }) },
    clock: new FakeClock(),
    logger: memoryLogger(),
    report: () => {},
    drainTimeoutMs: 300_000,
    driftScanMs: 10_000,
  });
  const lines = () => ipvsadmSave(kernel.dump()).split("\n").filter(Boolean).sort(cOrder);
  return { director, lines };
}

/** The tables tandem's director leaves after each phase keepalived's capture has. */
async function tandemPhases(name: string, keep: boolean): Promise<{ start: string[]; reload?: string[]; stop: string[] }> {
  const { director, lines } = rig();
  await director.start(plansOf(configText(name)), NO_INTENT);
  const start = lines();
  const reloadFile = `${name}.reload`;
  let reload: string[] | undefined;
  if (existsSync(join(DIR, "configs", `${reloadFile}.conf`))) {
    await director.reload(plansOf(configText(reloadFile)));
    reload = lines();
  }
  await director.stop(!keep);
  return { start, ...(reload ? { reload } : {}), stop: lines() };
}

const configText = (name: string) => readFileSync(join(DIR, "configs", `${name}.conf`), "utf8");

/**
 * Where keepalived 2.2.7 is wrong and tandem does not follow it. groups.reload: the services of
 * the range the reload removed from the group stay in keepalived's table with no real server
 * ("Unknown protocol 0 at protocol_to_index" in groups.log); tandem removes them.
 */
const KEEPALIVED_BUGS: Record<string, string[]> = {
  "groups.reload": ["-A -t 10.2.0.1:80 -s rr", "-A -t 10.2.0.2:80 -s rr", "-A -t 10.2.0.3:80 -s rr"],
  // Those three again at its stop, and 10.2.5.1, which the reload added, as its stop leaves them.
  "groups.stop": ["-A -t 10.2.0.1:80 -s rr", "-A -t 10.2.0.2:80 -s rr", "-A -t 10.2.0.3:80 -s rr", "-A -t 10.2.5.1:80 -s rr"],
};

const configs = readdirSync(join(DIR, "configs"))
  .filter((f) => f.endsWith(".conf") && !f.endsWith(".reload.conf"))
  .map((f) => f.slice(0, -".conf".length))
  .sort();
/** As capture.ts and the checked tables' test tell them: a checker keyword outside a comment. */
const hasCheckers = (text: string) =>
  /^\s*(TCP_CHECK|HTTP_GET|SSL_GET|SMTP_CHECK|DNS_CHECK|UDP_CHECK|PING_CHECK|MISC_CHECK|FILE_CHECK|BFD_CHECK)\b/m.test(text.replace(/[!#].*$/gm, ""));

/** keepalived's capture NAME.PHASE.txt without the lines of its known bugs; tandem's table must be the rest. */
function expectKeepalived(tandem: string[], name: string, phase: string): void {
  const wrong = new Set(KEEPALIVED_BUGS[`${name}.${phase}`] ?? []);
  const captured = capturedLines(`${name}.${phase}.txt`);
  for (const line of wrong) expect(captured).toContain(line); // the bug is still in the capture
  expect(tandem).toEqual(captured.filter((line) => !wrong.has(line)).sort(cOrder));
}

describe("the same files program keepalived's table after start, reload and stop", () => {
  test("every capture is here", () => {
    expect(configs.length).toBeGreaterThanOrEqual(27);
  });
  for (const name of configs) {
    if (hasCheckers(configText(name))) continue;
    test(name, async () => {
      const phases = await tandemPhases(name, false);
      expectKeepalived(phases.start, name, "start");
      if (phases.reload) expectKeepalived(phases.reload, name, "reload");
      expectKeepalived(phases.stop, name, "stop");
    });
    if (existsSync(join(DIR, `${name}.stop-dont-release-ipvs.txt`))) {
      test(`${name} stopped with -I (--dont-release-ipvs)`, async () => {
        expectKeepalived((await tandemPhases(name, true)).stop, name, "stop-dont-release-ipvs");
      });
    }
  }
});
