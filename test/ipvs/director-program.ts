// Runs inside the qemu guest (test/ipvs/director.test.ts boots it): the whole director, from
// keepalived.conf text through DirectorService to the appliance kernel's IPVS, beside ipvsadm.
// A foreign service is there before it starts; then start, a restart over the same table and
// record, a reload of one weight, a real server deleted behind its back, a drain, a stop; the
// preflight on the kernel's own sysctls (reported, then set with ipvs_set_sysctls) and the
// totals from /proc/net/ip_vs_stats.
// Each step prints "=== RESULT <name> <json>"; the host asserts.
import { systemClock } from "../../src/common/clock.ts";
import { createLogger } from "../../src/common/logger.ts";
import { memoryFiles, parseConfig } from "../../src/config/index.ts";
import { hostDirectorDeps } from "../../src/daemon/director/director-command.ts";
import { DirectorService } from "../../src/daemon/director/director-service.ts";
import type { FromDirector } from "../../src/daemon/ipc/messages.ts";
import { NO_DRAINS } from "../../src/ipvs/drain.ts";
import { IpvsOwnership } from "../../src/store/ipvs-ownership.ts";
import { directorConfig, NOTIFY_LOG, NOTIFY_SCRIPT } from "./director-configs.ts";
import { fromJsonText, toJsonText } from "../../src/daemon/ipc/json-text.ts";
import { directorConfigOf } from "../../src/daemon/ipc/director-config.ts";

function result(name: string, value: unknown): void {
  console.log(`=== RESULT ${name} ${JSON.stringify(value)}`);
}

function sh(command: string): string {
  const run = Bun.spawnSync(["/bin/sh", "-c", command], { stderr: "pipe" });
  return run.stdout.toString() + run.stderr.toString();
}

const save = (): string[] => sh("ipvsadm -Sn").split("\n").filter(Boolean).sort();
const clock = systemClock();
const logger = createLogger((level, line) => console.log(`log ${level} ${line}`), "info");

function configOf(text: string) {
  const parsed = parseConfig("/etc/keepalived/keepalived.conf", { ...memoryFiles({ "/etc/keepalived/keepalived.conf": text }), configId: undefined });
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (!parsed.config || errors.length > 0) throw new Error(`config: ${JSON.stringify(errors)}`);
  return parsed.config;
}

/** A director as its process runs it, on the real kernel and an ownership file in /tmp. */
async function director(text: string, keepIpvsOnStop = false) {
  const sent: FromDirector[] = [];
  const owned = IpvsOwnership.open("/tmp/ipvs.db", clock.wallMs());
  if (!owned.ok) throw new Error(owned.reason);
  const service = new DirectorService(hostDirectorDeps({ send: (m) => sent.push(m), clock, logger, ownership: owned.ownership }), {
    type: "start",
    config: directorConfigOf(configOf(text)),
    intent: { drained: [] },
    drainState: NO_DRAINS,
    keepIpvsOnStop,
    vrrpRuns: true,
    ownershipFile: "/tmp/ipvs.db",
    log: { console: true, syslog: false, facility: undefined, detail: false },
  });
  await service.start();
  const writes = () =>
    sent.flatMap((m) => (m.type === "events" ? fromJsonText(m.events) : [])).reduce((total, e) => total + (e.kind === "ipvs.apply" ? e.data.writes : 0), 0);
  const status = () => sent.flatMap((m) => (m.type === "status" ? [fromJsonText(m.status)] : [])).at(-1);
  const events = (kind: string) => sent.flatMap((m) => (m.type === "events" ? fromJsonText(m.events).filter((e) => e.kind === kind) : []));
  return { service, sent, writes, status, events, close: () => owned.ownership.close() };
}

async function main(): Promise<void> {
  await Bun.write(NOTIFY_SCRIPT, `#!/bin/sh\necho "$*" >> ${NOTIFY_LOG}\n`);
  sh(`chmod 755 ${NOTIFY_SCRIPT}`);
  sh("ipvsadm -A -u 10.9.9.9:53 -s rr && ipvsadm -a -u 10.9.9.9:53 -r 10.9.9.10:53 -m");
  result("foreign", save());

  const sysctls = () =>
    sh("for f in ip_forward vs/expire_nodest_conn vs/expire_quiescent_template vs/conntrack; do echo $f=$(cat /proc/sys/net/ipv4/$f); done").trim();
  const first = await director(directorConfig({}));
  // Read after the kernel port loaded ip_vs (the net.ipv4.vs.* files did not exist before).
  result("preflight", { preflight: first.status()?.preflight, proc: sysctls() });
  const daemonBefore = sh("ipvsadm -L --daemon").trim();
  first.service.handle({ type: "vrrp", states: { VI_1: "MASTER" } });
  await Bun.sleep(300);
  result("start", {
    save: save(),
    writes: first.writes(),
    available: first.status()?.available,
    timeouts: sh("ipvsadm -L --timeout").trim(),
    daemonBefore,
    daemonMaster: sh("ipvsadm -L --daemon").trim(),
  });
  await first.service.stop("SIGTERM");
  first.close();
  result("daemon-after-stop", sh("ipvsadm -L --daemon").trim());

  // With -I the table stays serving, for the next start to adopt.
  const second = await director(directorConfig({}), true);
  const beforeRestart = save();
  await second.service.stop("a stop with -I");
  second.close();
  result("kept-with-I", { before: beforeRestart, after: save() });

  const third = await director(directorConfig({}));
  result("adopt", { writes: third.writes(), save: save() });

  third.service.handle({ type: "apply", config: toJsonText(directorConfigOf(configOf(directorConfig({ webWeight2: 7 })))) });
  await Bun.sleep(500);
  result("reload-one-weight", { writes: third.writes(), save: save() });

  sh("ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.2:80");
  const deleted = save();
  // One UDP datagram to the foreign service (its address on lo): a connection in the kernel's totals, none in tandem's services.
  // (busybox's nc has no UDP, so Bun sends it.)
  sh("ip addr add 10.9.9.9/32 dev lo");
  const udp = await Bun.udpSocket({});
  udp.send("x", 53, "10.9.9.9");
  udp.close();
  await Bun.sleep(12_000); // the drift scan runs every 10 s; the kernel folds its counters into the totals every 2 s
  result("drift", { deleted, repaired: save(), repairs: third.status()?.driftRepairs });
  result("totals", { status: third.status()?.totals, proc: sh("cat /proc/net/ip_vs_stats") });

  third.service.handle({ type: "intent", intent: { drained: [{ virtualServer: "TCP 10.0.0.1:80", realServer: "10.0.1.3:80" }] } });
  await Bun.sleep(500);
  result("drain", { save: save() });

  await third.service.stop("SIGTERM");
  third.close();
  result("stop", save());
  result("notifies", sh(`cat ${NOTIFY_LOG}`).trim().split("\n"));

  // ipvs_set_sysctls: the preflight sets what it reported, and says so in the history.
  const fourth = await director(directorConfig({ setSysctls: true }));
  result("set-sysctls", { preflight: fourth.status()?.preflight, proc: sysctls(), events: fourth.events("ipvs.sysctl").map((e) => e.data) });
  await fourth.service.stop("SIGTERM");
  fourth.close();
}

try {
  await main();
} catch (error) {
  result("crash", { message: (error as Error).stack ?? String(error) });
}
console.log("=== DONE");
process.exit(0);
