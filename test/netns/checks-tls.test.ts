// SSL_GET's TLS against Debian's nginx (scripts/install-test-servers.sh) on the client box,
// serving certificates the test makes with openssl (test/unit/daemon/check/test-certificates.ts):
// the CA's for the right name, one for a wrong name, an expired one, a self-signed one. The
// built binary runs with -C and the global SSL block (the test CA, a client certificate with an
// encrypted key); each nginx server is checked twice, with tandem's tls_verify (ports 443-447)
// and without it (543-546, keepalived's behaviour: everything passes). The reasons are read
// from keepalived-style log lines; the detection time of a certificate that goes bad under a
// running check (nginx reloaded with the expired one) is measured from the reload.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, exec, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";
import { loggedAt } from "./support/check-logs.ts";
import { makeTestCertificates, type KeyPair, type TestCertificates } from "../unit/daemon/check/test-certificates.ts";

const NGINX = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "nginx/usr/sbin/nginx");
const RS = "10.99.0.100"; // box c
const HOST = "www.example.com";
const unavailable = tandemImpl.unavailableReason() ?? (existsSync(NGINX) ? null : `${NGINX} is missing (scripts/install-test-servers.sh)`);

/** Each nginx server: its certificate, the port checked with tls_verify and the one checked without. */
const SERVERS = [
  { name: "live", verifyPort: 443, plainPort: 543 },
  { name: "wrong-name", verifyPort: 444, plainPort: 544 },
  { name: "expired", verifyPort: 445, plainPort: 545 },
  { name: "self-signed", verifyPort: 446, plainPort: 546 },
] as const;
/** The live certificate once more, checked with tls_verify and no virtualhost: its name is then the address. */
const BY_ADDRESS_PORT = 447;

const sslGet = (verify: boolean, virtualhost = true) => `SSL_GET {
            url {
                path /health
            }
            ${virtualhost ? `virtualhost ${HOST}\n            enable_sni` : ""}
            ${verify ? "tls_verify" : ""}
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }`;

function tandemConfig(certs: TestCertificates): string {
  const realServers = [
    ...SERVERS.flatMap((s) => [
      `    real_server ${RS} ${s.verifyPort} {\n        ${sslGet(true)}\n    }`,
      `    real_server ${RS} ${s.plainPort} {\n        ${sslGet(false)}\n    }`,
    ]),
    `    real_server ${RS} ${BY_ADDRESS_PORT} {\n        ${sslGet(true, false)}\n    }`,
  ];
  return `
SSL {
    ca ${certs.ca.cert}
    certificate ${certs.client.cert}
    key ${certs.client.key}
    password ${certs.clientPassword}
}
virtual_server 10.99.0.51 443 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
${realServers.join("\n")}
}
`;
}

function nginxConfig(dir: string): string {
  const server = (s: (typeof SERVERS)[number]) => `
  server {
    listen ${RS}:${s.verifyPort} ssl;
    listen ${RS}:${s.plainPort} ssl;
    ${s.name === "live" ? `listen ${RS}:${BY_ADDRESS_PORT} ssl;` : ""}
    ssl_certificate ${dir}/${s.name}.pem;
    ssl_certificate_key ${dir}/${s.name}.key;
    # Asks for a client certificate without judging it: the access log shows the one tandem sends.
    ssl_verify_client optional_no_ca;
    access_log ${dir}/access.log clients;
    root ${dir}/html;
    location = /health {
      default_type text/plain;
    }
  }`;
  return `daemon off;
user root;
error_log ${dir}/error.log;
pid ${dir}/nginx.pid;
events {}
http {
  log_format clients '$server_port $ssl_client_s_dn';
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
${SERVERS.map(server).join("\n")}
}
`;
}

describe.skipIf(!isRoot || unavailable !== null)("SSL_GET's TLS against nginx (root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle;
  let nginx: ReturnType<typeof Bun.spawn> | undefined;
  let dir: string;
  let certs: TestCertificates;
  let startedMs: number;
  const name = (port: number) => `[${RS}]:tcp:${port}`;
  const detected = async (text: string, fromMs: number, timeoutMs: number) =>
    (await waitFor(() => loggedAt(ownLog(daemon), text, fromMs), { timeoutMs, intervalMs: 20, what: `the log line "${text}"` })) - fromMs;
  const install = (pair: KeyPair, as: string) => {
    copyFileSync(pair.cert, join(dir, `${as}.pem`));
    copyFileSync(pair.key, join(dir, `${as}.key`));
  };
  const reloadNginx = async () => {
    const master = Number(readFileSync(join(dir, "nginx.pid"), "utf8").trim());
    process.kill(master, "SIGHUP");
    // The new workers have the new certificate once the old ones are gone.
    await Bun.sleep(300);
  };

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
    dir = join(topo.runDir, "nginx-tls");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "html"), { recursive: true });
    writeFileSync(join(dir, "html/health"), "healthy\n");
    certs = makeTestCertificates(join(dir, "certs"), HOST, RS);
    install(certs.good, "live");
    install(certs.wrongName, "wrong-name");
    install(certs.expired, "expired");
    install(certs.selfSigned, "self-signed");
    writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir));
    nginx = Bun.spawn(["ip", "netns", "exec", topo.box("c").ns, NGINX, "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "inherit" });
    await waitFor(async () => existsSync(join(dir, "nginx.pid")) && (await exec(topo.box("c").ns, ["ss", "-ltn", "sport = :546"])).stdout.includes(RS), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "nginx listening",
    });
    const box = topo.box("a");
    startedMs = Date.now();
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config: tandemConfig(certs), extraArgs: ["-C"] });
  }, 60_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    nginx?.kill("SIGKILL");
    await topo?.destroy();
  }, 30_000);

  test("without tls_verify every certificate passes, as in keepalived; the SSL block's client certificate is sent", async () => {
    for (const s of SERVERS) await detected(`Remote Web server ${name(s.plainPort)} succeed on service.`, startedMs, 8_000);
    const access = readFileSync(join(dir, "access.log"), "utf8");
    for (const s of SERVERS) expect(access).toContain(`${s.plainPort} CN=tandem-client`);
  }, 15_000);

  test("with tls_verify the CA's certificate passes, by the virtualhost and by the address; the others fail with their reasons", async () => {
    await detected(`Remote Web server ${name(443)} succeed on service.`, startedMs, 8_000);
    await detected(`Remote Web server ${name(BY_ADDRESS_PORT)} succeed on service.`, startedMs, 8_000);
    const reasons = {
      444: `certificate name mismatch: ${certs.wrongNameHost} is not ${HOST}`,
      445: `certificate expired on ${certs.expiredOn}`,
      446: "certificate verify failed: self-signed certificate",
    };
    const times: string[] = [];
    for (const [port, reason] of Object.entries(reasons)) {
      const atMs = await detected(`HTTP_CHECK on service ${name(Number(port))} failed after 1 retries: ${reason}`, startedMs, 10_000);
      times.push(`${port}: ${atMs} ms`);
    }
    // A verifying checker never reports one of them up.
    for (const port of [444, 445, 446]) expect(loggedAt(ownLog(daemon), `Remote Web server ${name(port)} succeed`, startedMs)).toBeUndefined();
    console.log(`checks-tls: bad certificates down after the start in ${times.join(", ")} (delay_loop 1 s, retry 1, delay_before_retry 1 s)`);
  }, 20_000);

  test("a certificate that expires under a running check: the verifying checkers go down, the others stay up; back with a good one", async () => {
    install(certs.expired, "live");
    const faultMs = Date.now();
    await reloadNginx();
    const expired = `certificate expired on ${certs.expiredOn}`;
    const downMs = await detected(`HTTP_CHECK on service ${name(443)} failed after 1 retries: ${expired}`, faultMs, 8_000);
    await detected(`HTTP_CHECK on service ${name(BY_ADDRESS_PORT)} failed after 1 retries: ${expired}`, faultMs, 8_000);
    expect(downMs).toBeLessThan(4_000);
    expect(loggedAt(ownLog(daemon), `HTTP_CHECK on service ${name(543)} failed`, faultMs)).toBeUndefined();
    install(certs.good, "live");
    const fixMs = Date.now();
    await reloadNginx();
    const upMs = await detected(`Remote Web server ${name(443)} succeed on service.`, fixMs, 8_000);
    console.log(`checks-tls: expired certificate detected in ${downMs} ms, recovery in ${upMs} ms`);
  }, 30_000);
});
