// The REST API on a real pair: each tandem box serves its API on its own address; the
// client box asks with curl. A failover shows in /vrrp/state, /events and the live
// stream; maintenance moves the VIP, is recorded, and survives a restart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { VrrpPair, cleanupStale, configFor, createTopology, delay, exec, tandemBin, tandemImpl, waitFor, type Side, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";

const VIP = "10.99.0.41";
const TOKEN = "s3cret-token-for-tests";
const unavailable = tandemImpl.unavailableReason();
const VIRTUAL_SERVER = `virtual_server ${VIP} 80 {
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server 10.99.0.21 80 {
        weight 2
    }
}
`;

describe.skipIf(!isRoot || unavailable !== null)("REST API on a tandem pair (root, netns)", () => {
  let topo: Topology;
  let pair: VrrpPair;
  const api = (side: Side) => `http://${topo.box(side).ip}:8080`;
  /** curl from the client box; returns the status code and the body. */
  const curl = async (url: string, ...args: string[]) => {
    const r = await exec(topo.box("c").ns, ["curl", "-sS", "-m", "5", "-o", "-", "-w", "\n%{http_code}", ...args, url], { check: false });
    const lines = r.stdout.trimEnd().split("\n");
    const status = Number(lines.pop());
    return { status, body: lines.join("\n") };
  };
  const getJson = async (url: string) => {
    const r = await curl(url);
    expect(r.status).toBe(200);
    return JSON.parse(r.body);
  };
  const stateOf = async (side: Side) => (await getJson(`${api(side)}/vrrp/state`)).instances.find((i: { name: string }) => i.name === "VI_1");

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
    for (const side of ["a", "b"] as const) writeFileSync(join(topo.box(side).runDir, "api.token"), `${TOKEN}\n`);
    pair = await VrrpPair.start({
      topo,
      vip: VIP,
      impls: { a: tandemImpl, b: tandemImpl },
      // Each box keeps its own history database in its run directory.
      extraArgs: (side) => ["--db", join(topo.box(side).runDir, "tandem.db")],
      config: (side) => {
        const box = topo.box(side);
        const base = configFor({
          box: side,
          state: side === "a" ? "MASTER" : "BACKUP",
          priority: side === "a" ? 100 : 90,
          version: 3,
          advertInt: 0.1,
          vip: `${VIP}/24`,
        });
        // api_listen / api_token_file are tandem's global_defs extensions. B also balances
        // load: on this host (no IPVS) its director must say so while VRRP runs on.
        const withApi = base.replace("global_defs {", `global_defs {\n    api_listen ${box.ip}:8080\n    api_token_file ${join(box.runDir, "api.token")}`);
        return side === "b" ? `${withApi}\n${VIRTUAL_SERVER}` : withApi;
      },
    });
    await pair.waitSoleHolder("a", 5000);
    await waitFor(async () => (await curl(`${api("b")}/healthz`)).status === 200, { timeoutMs: 5000, intervalMs: 50, what: "B's API" });
    // The API shows a master heard within 200 ms of the engine hearing it: wait for B's first advert from A to show.
    await waitFor(async () => (await stateOf("b"))?.master !== undefined, { timeoutMs: 3000, intervalMs: 50, what: "B's API shows A as its master" });
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
    await topo?.destroy();
  }, 30_000);

  test("GET /vrrp/state from the client: A is MASTER, B is BACKUP and hears A", async () => {
    const a = await stateOf("a");
    const b = await stateOf("b");
    expect(a).toMatchObject({ state: "MASTER", vrid: 51, effectivePriority: 100, vips: [`${VIP}/24`] });
    expect(b).toMatchObject({ state: "BACKUP", effectivePriority: 90, master: { address: topo.box("a").ip, priority: 100 } });
    // The engine refreshes the status it shows through the API every second.
    expect(Date.now() - b.master.lastSeenAtMs).toBeLessThan(2000);
    const health = await getJson(`${api("a")}/healthz`);
    expect(health.history).toBe("ok");
  });

  test("a virtual_server where the kernel has no IPVS: the director says so in GET /ipvs/state and the history; VRRP is unaffected", async () => {
    const state = await getJson(`${api("b")}/ipvs/state`);
    expect(state.available).toBe(false);
    expect(state.reason).toContain("the kernel has no IPVS");
    expect(state.virtualServers.map((v: { id: string }) => v.id)).toEqual([`TCP ${VIP}:80`]);
    expect(state.virtualServers[0].realServers[0]).toMatchObject({ id: "10.99.0.21:80", configuredWeight: 2, forward: "DR" });
    expect(state.virtualServers[0].realServers[0].kernelWeight).toBeUndefined();
    const events = await getJson(`${api("b")}/events?kind=ipvs.director`);
    expect(events.events.map((e: { data: { available: boolean } }) => e.data.available)).toContain(false);
    // A has no virtual_server: no director runs there.
    expect((await curl(`${api("a")}/ipvs/state`)).status).toBe(404);
    expect((await stateOf("b")).state).toBe("BACKUP");
  });

  test("tandem state and tandem events, run on the client box, print the pair as tables", async () => {
    const state = await exec(topo.box("c").ns, [tandemBin(), "state", "--api", api("b")]);
    expect(state.stdout).toMatch(/^INSTANCE\s+STATE\s+VRID/);
    expect(state.stdout).toMatch(new RegExp(`VI_1\\s+BACKUP\\s+51\\s+eth0\\s+90/90\\s+${VIP}/24\\s+${topo.box("a").ip.replace(/\./g, "\\.")} \\(100\\)`));
    const events = await exec(topo.box("c").ns, [tandemBin(), "events", "--api", api("b"), "--kind", "daemon.start", "--limit", "5"]);
    expect(events.stdout.split("\n")[0]).toMatch(/^ID\s+TIME \(UTC\)\s+KIND\s+INSTANCE\s+SUMMARY/);
    expect(events.stdout).toContain("daemon.start");
    const json = JSON.parse((await exec(topo.box("c").ns, [tandemBin(), "state", "--api", api("a"), "--json"])).stdout);
    expect(json.instances[0].state).toBe("MASTER");
    const closed = `http://${topo.box("a").ip}:9`;
    const down = await exec(topo.box("c").ns, [tandemBin(), "state", "--api", closed], { check: false });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`cannot reach the tandem API at ${closed}`);
  }, 30_000);

  test("kill -9 of A: B's /vrrp/state, /events and the live stream show the takeover with its cause and time", async () => {
    const streamFile = join(topo.runDir, "b-stream.txt");
    const stream = Bun.spawn(["ip", "netns", "exec", topo.box("c").ns, "curl", "-sS", "-N", "-m", "20", `${api("b")}/events/stream`], {
      stdout: Bun.file(streamFile),
    });
    try {
      await delay(300);
      const t0 = Date.now();
      pair.daemon("a").kill9();
      await waitFor(async () => (await stateOf("b")).state === "MASTER", { timeoutMs: 3000, intervalMs: 20, what: "B MASTER in /vrrp/state" });
      const b = await stateOf("b");
      expect(b.lastTakeoverMs).toBeGreaterThan(300);
      expect(b.lastTakeoverMs).toBeLessThan(500);
      expect(b.counters).toMatchObject({ becomeMaster: 1, releaseMaster: 0 });
      expect(b.counters.advertsReceived).toBeGreaterThan(0);
      const page = await getJson(`${api("b")}/events?kind=vrrp.transition&sinceMs=${t0}`);
      const takeover = page.events.find((e: { data: { to: string } }) => e.data.to === "MASTER");
      expect(takeover).toMatchObject({
        instance: "VI_1",
        data: { from: "BACKUP", to: "MASTER", cause: "master-down-timer", peer: { address: topo.box("a").ip, priority: 100 } },
      });
      expect(takeover.data.takeoverMs).toBeCloseTo(b.lastTakeoverMs, 1);
      await waitFor(async () => (await Bun.file(streamFile).text()).includes("event: vrrp.transition"), {
        timeoutMs: 2000,
        intervalMs: 20,
        what: "the transition on the stream",
      });
      const text = await Bun.file(streamFile).text();
      expect(text).toMatch(/id: \d+\nevent: vrrp\.transition\ndata: \{.*"to":"MASTER"/);
    } finally {
      stream.kill();
    }
    await pair.startSide("a");
    await pair.waitSoleHolder("a", 5000);
    await waitFor(async () => (await curl(`${api("a")}/healthz`)).status === 200, { timeoutMs: 5000, intervalMs: 50, what: "A's API after restart" });
  }, 30_000);

  test("maintenance: 401 without a token, 403 with a wrong one; with the token A hands the VIP over, stays out after a restart, and comes back on DELETE", async () => {
    const url = `${api("a")}/vrrp/instances/VI_1/maintenance`;
    expect((await curl(url, "-X", "POST")).status).toBe(401);
    expect((await curl(url, "-X", "POST", "-H", "Authorization: Bearer wrong")).status).toBe(403);
    expect((await curl(`${api("a")}/vrrp/instances/NOPE/maintenance`, "-X", "POST", "-H", `Authorization: Bearer ${TOKEN}`)).status).toBe(404);
    const on = await curl(url, "-X", "POST", "-H", `Authorization: Bearer ${TOKEN}`);
    expect(on.status).toBe(200);
    await pair.waitSoleHolder("b", 3000);
    expect(await stateOf("a")).toMatchObject({ state: "BACKUP", effectivePriority: 1, maintenance: true });

    // Restart A: maintenance is persisted in its history database.
    await pair.daemon("a").stop("SIGTERM", 5000);
    await pair.startSide("a");
    await waitFor(async () => (await curl(`${api("a")}/healthz`)).status === 200, { timeoutMs: 5000, intervalMs: 50, what: "A's API after restart" });
    await delay(1000);
    expect(pair.watchers.b.holds()).toBe(true);
    expect(pair.watchers.a.holds()).toBe(false);
    expect((await stateOf("a")).maintenance).toBe(true);

    const off = await curl(url, "-X", "DELETE", "-H", `Authorization: Bearer ${TOKEN}`);
    expect(off.status).toBe(200);
    await pair.waitSoleHolder("a", 3000);
    const actions = await getJson(`${api("a")}/events?kind=api.action`);
    expect(actions.events.map((e: { data: { action: string; caller: { address: string } } }) => `${e.data.action} ${e.data.caller.address}`)).toEqual(
      expect.arrayContaining([`maintenance.enter ${topo.box("c").ip}`, `maintenance.leave ${topo.box("c").ip}`]),
    );
  }, 40_000);
});
