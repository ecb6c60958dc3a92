// A checker's fwmark (SO_MARK) and bind_if (SO_BINDTODEVICE), each proven by its effect on
// routing, with the built binary (-C) in box a and Debian's nginx (scripts/install-test-servers.sh)
// in box c:
// - fwmark: box a reaches 10.97.0.100 only through routing table 100, which `ip rule fwmark 7`
//   selects. TCP_CHECK, HTTP_GET and SSL_GET with fwmark 7 pass; the same TCP_CHECK with mark
//   8 fails "network unreachable", and without a mark it fails too (node:net's connection,
//   which Bun 1.4.4 reports as "connection refused"). Deleting the rule takes the marked
//   checks down, adding it back brings them up; both are timed.
// - bind_if: box a reaches 10.96.0.100 through its second link (eth1, a second bridge to box c,
//   which holds the address on its eth1 and answers ARP for an address only on the link that
//   has it: arp_ignore 1). Bound to eth1 the check passes; bound to eth0 (the route lookup
//   limited to eth0 finds nothing, so the kernel takes the address as on-link there) nobody
//   answers its ARP and it fails "host unreachable"; a bind_if box a does not have fails
//   "bind_if eth9: no such interface"; eth1 taken down, the eth1 check fails at once. And the
//   use keepalived's manual gives bind_if: an IPv6 link-local real server (fe80::c, on the
//   eth1 link only) is reached bound to eth1, not bound to eth0.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, exec, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";
import { loggedAt, selfSignedCertificate } from "./support/check-logs.ts";

const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx/usr/sbin/nginx");
/** Reached from box a only through table 100, i.e. only with fwmark 7. */
const MARKED_RS = "10.97.0.100";
/** Reached from box a through eth1; box c refuses it on its eth0. */
const BOUND_RS = "10.96.0.100";
/** Box c's link-local address on the eth1 link. */
const LINK_LOCAL_RS = "fe80::c";
const MARK = 7;
const TABLE = 100;
const unavailable = tandemImpl.unavailableReason() ?? (existsSync(NGINX) ? null : `${NGINX} is missing (scripts/install-test-servers.sh)`);

const tcpCheck = (options: string) => `TCP_CHECK {
            connect_timeout 1
            retry 0
            ${options}
        }`;
const webCheck = (kind: "HTTP_GET" | "SSL_GET", options: string) => `${kind} {
            url {
                path /health
                status_code 200
            }
            connect_timeout 1
            retry 0
            ${options}
        }`;

const CONFIG = `
virtual_server 10.99.0.51 80 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    real_server ${MARKED_RS} 81 {
        ${tcpCheck(`fwmark ${MARK}`)}
    }
    real_server ${MARKED_RS} 82 {
        ${tcpCheck("")}
    }
    real_server ${MARKED_RS} 83 {
        ${tcpCheck(`fwmark ${MARK + 1}`)}
    }
    real_server ${MARKED_RS} 80 {
        ${webCheck("HTTP_GET", `fwmark ${MARK}`)}
    }
    real_server ${MARKED_RS} 443 {
        ${webCheck("SSL_GET", `fwmark ${MARK}`)}
    }
    real_server ${BOUND_RS} 81 {
        ${tcpCheck("bind_if eth1")}
    }
    real_server ${BOUND_RS} 82 {
        TCP_CHECK {
            # Beyond the kernel's 3 s of ARP, so its EHOSTUNREACH is the reason.
            connect_timeout 5
            retry 0
            bind_if eth0
        }
    }
    real_server ${BOUND_RS} 83 {
        ${tcpCheck("bind_if eth9")}
    }
    real_server ${BOUND_RS} 80 {
        ${webCheck("HTTP_GET", "bind_if eth1")}
    }
}
virtual_server fd00:99::51 80 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    real_server ${LINK_LOCAL_RS} 81 {
        ${tcpCheck("bind_if eth1")}
    }
    real_server ${LINK_LOCAL_RS} 82 {
        ${tcpCheck("bind_if eth0")}
    }
}
`;

function nginxConfig(dir: string): string {
  return `daemon off;
user root;
error_log ${dir}/error.log;
pid ${dir}/nginx.pid;
events {}
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 80; listen 81; listen 82; listen 83; listen [::]:81; listen [::]:82;
    listen 443 ssl;
    ssl_certificate ${dir}/server.crt;
    ssl_certificate_key ${dir}/server.key;
    root ${dir}/html;
    location = /health { default_type text/plain; }
  }
}
`;
}

describe.skipIf(!isRoot || unavailable !== null)("a checker's fwmark and bind_if (root, netns, nginx)", () => {
  let topo: Topology;
  let daemon: DaemonHandle;
  let nginx: ReturnType<typeof Bun.spawn> | undefined;
  let dir: string;
  /** Just before the daemon started: its first checks' lines come after it. */
  let startedMs = 0;
  const service = (address: string, port: number) => `[${address}]:tcp:${port}`;
  const detected = async (text: string, fromMs: number, timeoutMs: number) =>
    (await waitFor(() => loggedAt(ownLog(daemon), text, fromMs), { timeoutMs, intervalMs: 20, what: `the log line "${text}"` })) - fromMs;
  const ip = (box: string, args: string[]) => exec(topo.box(box).ns, ["ip", ...args]);

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology({
      extraInterfaces: [
        { box: "a", dev: "eth1", cidr: "10.98.0.11/24" },
        { box: "c", dev: "eth1", cidr: "10.98.0.100/24" },
      ],
    });
    // Box c: both real server addresses; the bound one answered for on eth1 only.
    await ip("c", ["addr", "add", `${MARKED_RS}/32`, "dev", "lo"]);
    await ip("c", ["addr", "add", `${BOUND_RS}/32`, "dev", "eth1"]);
    await exec(topo.box("c").ns, ["sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1"]);
    await ip("c", ["-6", "addr", "add", `${LINK_LOCAL_RS}/64`, "dev", "eth1", "nodad"]);
    // Box a: the marked address only in table 100, which only the mark selects; the bound one through eth1.
    await ip("a", ["route", "add", `${MARKED_RS}/32`, "via", "10.99.0.100", "dev", "eth0", "table", String(TABLE)]);
    await ip("a", ["rule", "add", "pref", "100", "fwmark", String(MARK), "table", String(TABLE)]);
    await ip("a", ["route", "add", `${BOUND_RS}/32`, "via", "10.98.0.100", "dev", "eth1"]);

    dir = join(topo.runDir, "nginx");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "html"), { recursive: true });
    writeFileSync(join(dir, "html/health"), "healthy\n");
    writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir));
    await selfSignedCertificate(dir);
    nginx = Bun.spawn(["ip", "netns", "exec", topo.box("c").ns, NGINX, "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "inherit" });
    await waitFor(async () => existsSync(join(dir, "nginx.pid")) && (await exec(topo.box("c").ns, ["ss", "-ltn", "sport = :443"])).stdout.includes("443"), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "nginx listening",
    });
    // Box a's own link-local addresses must be past duplicate address detection, or connect() finds no source (EADDRNOTAVAIL).
    await waitFor(async () => (await exec(topo.box("a").ns, ["ip", "-6", "addr", "show", "tentative"])).stdout.trim() === "", {
      timeoutMs: 5000,
      intervalMs: 50,
      what: "box a's IPv6 link-local addresses usable",
    });
    const box = topo.box("a");
    startedMs = Date.now();
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config: CONFIG, extraArgs: ["-C"] });
  }, 30_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    nginx?.kill("SIGKILL");
    await topo?.destroy();
  }, 30_000);

  test("every checker runs: none is refused for its fwmark or bind_if", async () => {
    await detected(`TCP connection to ${service(MARKED_RS, 81)} success.`, startedMs, 8_000);
    expect(ownLog(daemon)).not.toContain("not checked");
  }, 15_000);

  test("fwmark 7 selects the table with the route: TCP_CHECK, HTTP_GET and SSL_GET pass; unmarked or marked 8, they fail", async () => {
    const fromMs = startedMs;
    await detected(`TCP connection to ${service(MARKED_RS, 81)} success.`, fromMs, 8_000);
    await detected(`Remote Web server ${service(MARKED_RS, 80)} succeed on service.`, fromMs, 8_000);
    await detected(`Remote Web server ${service(MARKED_RS, 443)} succeed on service.`, fromMs, 8_000);
    // Unmarked, the check is node:net's, and Bun 1.4.4's node:net reports connect(2)'s ENETUNREACH as ECONNREFUSED: any failure will do.
    await detected(`TCP_CHECK on service ${service(MARKED_RS, 82)} failed: `, fromMs, 8_000);
    await detected(`TCP_CHECK on service ${service(MARKED_RS, 83)} failed: network unreachable`, fromMs, 8_000);
    // nginx saw the marked GETs (HTTP and TLS) come in: the mark changed the route, not the request.
    const access = await Bun.file(join(dir, "access.log")).text();
    expect(access).toContain('"GET /health HTTP/1.0" 200');
  }, 15_000);

  test("without the rule the marked checks fail, with it back they pass: both timed", async () => {
    const cutMs = Date.now();
    await ip("a", ["rule", "del", "pref", "100"]);
    let downMs: number;
    try {
      downMs = await detected(`TCP_CHECK on service ${service(MARKED_RS, 81)} failed: network unreachable`, cutMs, 5_000);
      await detected(`HTTP_CHECK on service ${service(MARKED_RS, 80)} failed: network unreachable`, cutMs, 5_000);
    } finally {
      await ip("a", ["rule", "add", "pref", "100", "fwmark", String(MARK), "table", String(TABLE)]);
    }
    const backMs = Date.now();
    const upMs = await detected(`TCP connection to ${service(MARKED_RS, 81)} success.`, backMs, 5_000);
    // A failed url is retried every max(delay_before_retry, delay_loop), keepalived's default delay_before_retry being 1 s.
    const webUpMs = await detected(`Remote Web server ${service(MARKED_RS, 80)} succeed on service.`, backMs, 8_000);
    // A check every delay_loop (1 s): each change is seen by the next one.
    expect(downMs).toBeLessThan(2_500);
    expect(upMs).toBeLessThan(2_500);
    console.log(
      `checks-bind-options: fwmark rule removed: TCP_CHECK down in ${downMs} ms; restored: TCP_CHECK up in ${upMs} ms, HTTP_GET in ${webUpMs} ms (delay_loop 1 s, retry 0)`,
    );
  }, 20_000);

  test("bind_if eth1 reaches the server; through eth0 nobody answers (host unreachable); eth9 does not exist", async () => {
    const fromMs = startedMs;
    await detected(`TCP connection to ${service(BOUND_RS, 81)} success.`, fromMs, 8_000);
    await detected(`Remote Web server ${service(BOUND_RS, 80)} succeed on service.`, fromMs, 8_000);
    const eth0Ms = await detected(`TCP_CHECK on service ${service(BOUND_RS, 82)} failed: host unreachable`, fromMs, 12_000);
    console.log(`checks-bind-options: bind_if eth0 (no ARP answer there): host unreachable ${eth0Ms} ms after the start`);
    await detected(`TCP_CHECK on service ${service(BOUND_RS, 83)} failed: bind_if eth9: no such interface`, fromMs, 8_000);
  }, 15_000);

  test("an IPv6 link-local real server: reached bound to the link it is on (eth1), not bound to eth0", async () => {
    const fromMs = startedMs;
    await detected(`TCP connection to ${service(LINK_LOCAL_RS, 81)} success.`, fromMs, 8_000);
    // Bound to eth0, the neighbour solicitation goes out on the link without fe80::c: nothing answers.
    await detected(`TCP_CHECK on service ${service(LINK_LOCAL_RS, 82)} failed: no connection within 1 s`, fromMs, 8_000);
    expect(loggedAt(ownLog(daemon), `TCP_CHECK on service ${service(LINK_LOCAL_RS, 81)} failed`, fromMs)).toBeUndefined();
  }, 15_000);

  test("bind_if follows the device: eth1 down, the bound check fails at once; up again, it passes", async () => {
    const cutMs = Date.now();
    await ip("a", ["link", "set", "eth1", "down"]);
    let downMs: number;
    let reason: string;
    try {
      downMs = await detected(`TCP_CHECK on service ${service(BOUND_RS, 81)} failed: `, cutMs, 5_000);
      reason = ownLog(daemon)
        .split("\n")
        .find((line) => line.includes(`TCP_CHECK on service ${service(BOUND_RS, 81)} failed: `) && Date.parse(line.slice(0, 24)) >= cutMs)!;
    } finally {
      await ip("a", ["link", "set", "eth1", "up"]);
      await ip("a", ["route", "replace", `${BOUND_RS}/32`, "via", "10.98.0.100", "dev", "eth1"]);
    }
    const upMs = await detected(`TCP connection to ${service(BOUND_RS, 81)} success.`, Date.now(), 5_000);
    expect(downMs).toBeLessThan(2_500);
    console.log(`checks-bind-options: bind_if eth1 down: "${reason.replace(/^.*failed: /, "")}" in ${downMs} ms; up again in ${upMs} ms`);
  }, 20_000);
});
