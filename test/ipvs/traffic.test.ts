// Real traffic through the image's tandem daemon on the appliance kernel, in one qemu guest
// (traffic-program.ts): a client namespace reaches real nginx servers through the VIPs by NAT
// (the director as their gateway), DR (the VIP on their lo) and TUN (ipip); wrr shares follow
// the weights; persistence pins the client; a fwmark service; a reload under a continuous
// client; a drain under kept-open connections; kill -9 of every tandem process, then a restart.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { hasQemu, imageDir, runInGuest, type GuestRun } from "./ipvs-guest.ts";
import { TOPOLOGY_MODULES } from "./traffic-topology.ts";

const image = imageDir();
const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx/usr/sbin/nginx");
const REPO = join(import.meta.dir, "../..");

interface Tally {
  requests: number;
  answers: Record<string, number>;
  failures: { atMs: number; error: string }[];
  maxGapMs: number;
  lastAnswerAtMs: Record<string, number>;
}

describe.skipIf(!hasQemu() || !image)("real traffic through the director on the appliance kernel under qemu", () => {
  let run: GuestRun;
  const get = <T>(name: string): T => {
    if (!run.results.has(name)) throw new Error(`the guest printed no result "${name}"; its output:\n${run.output.slice(-6000)}`);
    return run.results.get(name) as T;
  };

  beforeAll(async () => {
    // The real servers are Debian's nginx, unpacked on the host (CI's .ci/run does this too).
    const installed = Bun.spawnSync(["sh", join(REPO, "scripts/install-test-servers.sh")], { stderr: "pipe" });
    if (installed.exitCode !== 0) throw new Error(`install-test-servers.sh: ${installed.stderr.toString()}`);
    const nft = Bun.which("nft");
    if (!nft) throw new Error("nft is missing on the host (apt-get install nftables): the fwmark service's mark rule needs it");
    run = await runInGuest("test/ipvs/traffic-program.ts", image!, {
      hostBinaries: [Bun.which("ip")!, nft, NGINX, Bun.which("keepalived") ?? "/usr/sbin/keepalived"],
      modules: TOPOLOGY_MODULES,
      smp: 2,
      timeoutMs: 480_000,
    });
    console.log(`traffic guest ran ${Math.round(run.elapsedMs / 1000)} s`);
    const drain = run.results.get("drain") as Record<string, number> | undefined;
    if (drain)
      console.log(
        `drain: answered in ${drain.drainAnsweredAfterMs} ms, weight 0 seen after ${drain.weightZeroSeenAfterMs} ms, last new connection to the drained server ${drain.lastNewToDrainedAfterMs} ms after the request`,
      );
    for (const name of ["reload", "kill9"]) {
      const tally = (run.results.get(name) as { tally?: Tally } | undefined)?.tally;
      if (tally) console.log(`${name}: ${tally.requests} requests, longest gap between answers ${tally.maxGapMs} ms`);
    }
    if (run.results.has("crash"))
      throw new Error(`the guest program crashed: ${(run.results.get("crash") as { message: string }).message}\n${run.output.slice(-6000)}`);
  }, 540_000);

  const noFailures = (tally: Tally) => expect(tally.failures).toEqual([]);

  test("the director's start programs the file's table", () => {
    const start = get<{ save: string[]; writes: number }>("start");
    expect(start.save).toContain("-A -t 10.10.0.100:80 -s wrr");
    expect(start.save).toContain("-a -t 10.10.0.101:80 -r 10.10.0.11:80 -g -w 1");
    expect(start.save).toContain("-a -t 10.10.0.102:80 -r 10.10.0.21:80 -i -w 1 --tun-type ipip");
    expect(start.save).toContain("-A -f 7 -s rr");
    expect(start.writes).toBe(start.save.length);
  });

  test("NAT: wrr 3:1:1 over 250 new connections gives each server its share within 10 %", () => {
    const nat = get<Tally>("nat");
    noFailures(nat);
    const expected = { nat1: 150, nat2: 50, nat3: 50 };
    for (const [name, share] of Object.entries(expected)) {
      expect(Math.abs((nat.answers[name] ?? 0) - share)).toBeLessThanOrEqual(share * 0.1);
    }
  });

  test("DR (the VIP on the real servers' lo) and TUN (ipip) reach every real server", () => {
    const dr = get<Tally>("dr");
    const tun = get<Tally>("tun");
    noFailures(dr);
    noFailures(tun);
    expect(dr.answers).toEqual({ dr1: 10, dr2: 10 });
    expect(tun.answers).toEqual({ tun1: 10, tun2: 10 });
  });

  test("persistence pins the client to one real server", () => {
    const persistence = get<Tally>("persistence");
    noFailures(persistence);
    expect(Object.keys(persistence.answers)).toHaveLength(1);
    expect(Object.values(persistence.answers)[0]).toBe(30);
  });

  test("a fwmark service (nft marks the VIP's port 80) balances over its real servers", () => {
    const fwmark = get<Tally>("fwmark");
    noFailures(fwmark);
    expect(fwmark.answers).toEqual({ nat1: 10, nat2: 10 });
  });

  test("a reload that changes one weight under a continuous client fails no request and writes only that change", () => {
    const reload = get<{ tally: Tally; writes: number; save: string[] }>("reload");
    noFailures(reload.tally);
    expect(reload.tally.requests).toBeGreaterThan(50);
    expect(reload.writes).toBe(1);
    expect(reload.save).toContain("-a -t 10.10.0.100:80 -r 10.20.0.13:80 -m -w 2");
  });

  test("a drain resets no kept-open connection, and new connections go elsewhere within a second", () => {
    const drain = get<{ opened: string[]; lastNewToDrainedAfterMs: number; during: Tally; fresh: Tally; kept: Tally[]; drained: string[] }>("drain");
    expect(drain.opened).toContain("nat1");
    noFailures(drain.during);
    expect(drain.during.answers.nat1).toBeGreaterThan(0); // it was serving new connections before the drain
    expect(drain.lastNewToDrainedAfterMs).toBeLessThan(1000);
    noFailures(drain.fresh);
    expect(drain.fresh.answers.nat1 ?? 0).toBe(0);
    // Every kept connection went on answering, from the server it started on (nat1's included).
    drain.kept.forEach((tally, i) => {
      noFailures(tally);
      expect(Object.keys(tally.answers)).toEqual([drain.opened[i]!]);
      expect(tally.requests).toBeGreaterThan(10);
    });
    // Held at weight 0 while its connections last, not deleted.
    expect(drain.drained).toEqual(["-a -t 10.10.0.100:80 -r 10.20.0.11:80 -m -w 0"]);
  });

  test("a reload that removes a real server holds it at weight 0 under its kept-open connections, then deletes it at the drain timeout", () => {
    const removal = get<{ opened: string[]; held: string[]; deletedAfterMs: number; deletedAtMs: number; connections: Tally[]; writes: number }>("removal");
    expect(removal.opened).toContain("nat3");
    expect(removal.held).toEqual(["-a -t 10.10.0.100:80 -r 10.20.0.13:80 -m -w 0"]);
    // real_server_drain_timeout 4: not before, and not long after (the status rounds of a TCG guest).
    expect(removal.deletedAfterMs).toBeGreaterThanOrEqual(4000);
    expect(removal.deletedAfterMs).toBeLessThan(9000);
    expect(removal.writes).toBe(2); // weight 0 at the reload, the deletion at the timeout
    removal.connections.forEach((tally, i) => {
      const server = removal.opened[i]!;
      if (server !== "nat3") return noFailures(tally);
      // It went on answering through the hold, and only the deletion ended it.
      expect(tally.answers.nat3).toBeGreaterThan(10);
      expect(tally.failures.length).toBeGreaterThan(0);
      expect(tally.lastAnswerAtMs.nat3).toBeLessThanOrEqual(removal.deletedAtMs + 200);
    });
  });

  test("kill -9 of every tandem process leaves the table serving; the restart adopts it with zero writes", () => {
    const kill9 = get<{ killed: number; before: string[]; afterKill: string[]; afterRestart: string[]; writes: number; tally: Tally }>("kill9");
    expect(kill9.killed).toBeGreaterThanOrEqual(4); // the supervisor, the engine, the observer, the director
    expect(kill9.afterKill).toEqual(kill9.before);
    expect(kill9.afterRestart).toEqual(kill9.before);
    expect(kill9.writes).toBe(0);
    noFailures(kill9.tally);
    expect(kill9.tally.requests).toBeGreaterThan(100);
  });

  test("a stop removes what tandem programmed", () => {
    expect(get<string[]>("stopped")).toEqual([]);
  });

  test("keepalived 2.2.7 programs the same table from the same file after start, reload and stop", () => {
    const keepalived = get<{ start: string[]; reload: string[]; stop: string[] }>("keepalived");
    expect(keepalived.start).toEqual(get<{ save: string[] }>("start").save);
    expect(keepalived.reload).toEqual(get<{ save: string[] }>("reload").save);
    expect(keepalived.stop).toEqual(get<string[]>("stopped"));
  });
});
