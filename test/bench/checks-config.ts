// The configurations the health-check benchmark (test/bench/checks.ts) runs: keepalived.conf
// virtual servers whose N real servers each have one checker of one kind, the same text for
// tandem and for keepalived 2.2.7; and the nginx that answers them. The real servers are N
// addresses of 10.98.0.0/16 that one nginx answers on every address (a "local" route of the
// whole range on its box's lo), so N servers cost nginx one listening socket per port.

export type CheckKind = "TCP_CHECK" | "HTTP_GET" | "SSL_GET";
export const CHECK_KINDS: readonly CheckKind[] = ["TCP_CHECK", "HTTP_GET", "SSL_GET"];

/** The port each kind checks: one nginx listener each, so a run of one kind counts alone. */
export const PORT_OF: Record<CheckKind, number> = { TCP_CHECK: 81, HTTP_GET: 80, SSL_GET: 443 };
/** The second nginx of the detection runs: a 503 there leaves the first one's servers alone. */
export const SECOND_HTTP_PORT = 8080;

/** The range the real servers' addresses come from (routed to the server's box, local there). */
export const SERVER_RANGE = "10.98.0.0/16";
export const HEALTH_PATH = "/health";
export const HEALTH_BODY = "healthy\n";

/** The i-th real server's address (i from 0): 10.98.0.1, ..., 10.98.0.255, 10.98.1.0, ... */
export function realServerAddress(i: number, block = 0): string {
  const k = block * 256 + i + 1;
  if (k >= 65_535) throw new RangeError(`real server ${i} of block ${block} is outside ${SERVER_RANGE}`);
  return `10.98.${k >> 8}.${k & 255}`;
}

/**
 * A checker's timers (keepalived.conf's names, seconds); "default" leaves every one unset
 * (keepalived: delay_loop 60, connect_timeout 5, retry 1, delay_before_retry 1, HTTP_GET's 3).
 */
export type CheckTimers = "default" | { delayLoop: number; connectTimeout: number; retry: number; delayBeforeRetry: number };

/** The throughput runs: a check a second for each checker, and room for a busy checker (no false failures). */
export const LOAD_TIMERS: CheckTimers = { delayLoop: 1, connectTimeout: 3, retry: 1, delayBeforeRetry: 1 };
/** The fast profile of the detection runs: the smallest timers keepalived accepts (integers for retry, seconds for the rest). */
export const FAST_TIMERS: CheckTimers = { delayLoop: 1, connectTimeout: 1, retry: 0, delayBeforeRetry: 1 };

export interface CheckerGroup {
  kind: CheckKind;
  servers: number;
  timers: CheckTimers;
  /** Which 256-address block of the range the servers start at (groups must not share addresses with the same port). */
  block?: number;
  port?: number;
}

/** Real servers per virtual server: keepalived and tandem read a few thousand servers in one block fine, but a table of 100s reads like a real one. */
const PER_VIRTUAL_SERVER = 100;

function checkerBlock(kind: CheckKind, timers: CheckTimers): string {
  const lines: string[] = [];
  if (timers !== "default") {
    lines.push(`connect_timeout ${timers.connectTimeout}`, `retry ${timers.retry}`, `delay_before_retry ${timers.delayBeforeRetry}`);
  }
  if (kind !== "TCP_CHECK") lines.unshift(`url {\n                path ${HEALTH_PATH}\n                status_code 200\n            }`);
  return `${kind} {\n${lines.map((line) => `            ${line}\n`).join("")}        }`;
}

/** The virtual_server blocks of some groups; virtual server addresses from 10.97.0.0/16 (only names here: nothing is sent to them). */
export function virtualServers(groups: readonly CheckerGroup[]): string {
  const out: string[] = [];
  let vs = 0;
  for (const group of groups) {
    const port = group.port ?? PORT_OF[group.kind];
    for (let first = 0; first < group.servers; first += PER_VIRTUAL_SERVER) {
      vs++;
      const count = Math.min(PER_VIRTUAL_SERVER, group.servers - first);
      const realServers: string[] = [];
      for (let i = first; i < first + count; i++) {
        realServers.push(`    real_server ${realServerAddress(i, group.block ?? 0)} ${port} {\n        ${checkerBlock(group.kind, group.timers)}\n    }`);
      }
      const delayLoop = group.timers === "default" ? "" : `    delay_loop ${group.timers.delayLoop}\n`;
      out.push(
        `virtual_server 10.97.${vs >> 8}.${vs & 255} ${port} {\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n${delayLoop}${realServers.join("\n")}\n}\n`,
      );
    }
  }
  return out.join("\n");
}

/** The appliance's scheduling (overlay/etc/keepalived/keepalived.conf): the VRRP engine realtime, the checks below it. */
export const APPLIANCE_SCHEDULING = ["vrrp_rt_priority 50", "vrrp_rlimit_rttime 1000000", "vrrp_no_swap", "checker_priority 10"];

export function globalDefs(routerId: string, extra: readonly string[] = []): string {
  return `global_defs {\n    router_id ${routerId}\n${[...APPLIANCE_SCHEDULING, ...extra].map((line) => `    ${line}\n`).join("")}}\n`;
}

export interface NginxOptions {
  /** Its prefix: config, pid, logs, the page and the certificate live here. */
  dir: string;
  ports: readonly number[];
  /** These ports speak TLS (server.crt and server.key in dir). */
  tlsPorts?: readonly number[];
  /** stub_status on this address:port (its accepts and requests count the checks). */
  statusListen?: string;
  workers: number;
}

/**
 * nginx for the checks: every address, the page at HEALTH_PATH (503 while dir/down exists),
 * no access log (the checks are counted by stub_status), backlogs for bursts of connections.
 */
export function nginxConf(o: NginxOptions): string {
  const listen = o.ports.map((port) => `    listen ${port} backlog=8192${o.tlsPorts?.includes(port) ? " ssl" : ""};`).join("\n");
  const status = o.statusListen ? `  server {\n    listen ${o.statusListen};\n    location = /status { stub_status; }\n  }\n` : "";
  const tls = o.tlsPorts?.length ? `    ssl_certificate ${o.dir}/server.crt;\n    ssl_certificate_key ${o.dir}/server.key;\n` : "";
  return `daemon off;
user root;
worker_processes ${o.workers};
worker_rlimit_nofile 200000;
error_log ${o.dir}/error.log;
pid ${o.dir}/nginx.pid;
events { worker_connections 65536; multi_accept on; }
http {
  access_log off;
  keepalive_timeout 0;
  client_body_temp_path ${o.dir}/body; proxy_temp_path ${o.dir}/proxy; fastcgi_temp_path ${o.dir}/fcgi; uwsgi_temp_path ${o.dir}/uwsgi; scgi_temp_path ${o.dir}/scgi;
  server {
${listen}
${tls}    root ${o.dir}/html;
    location = ${HEALTH_PATH} {
      if (-f ${o.dir}/down) { return 503; }
      default_type text/plain;
    }
  }
${status}}
`;
}

/** stub_status's page: "Active connections: 1 \nserver accepts handled requests\n 12 12 10 \n...". */
export function parseStubStatus(text: string): { accepts: number; requests: number } | undefined {
  const match = /accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  return match ? { accepts: Number(match[1]), requests: Number(match[3]) } : undefined;
}

/** openssl's arguments for the servers' self-signed P-256 certificate (keepalived's SSL_GET verifies nothing by default, nor does tandem's). */
export const certificateArgv = (dir: string): string[] => [
  "openssl",
  "req",
  "-x509",
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:P-256",
  "-nodes",
  "-days",
  "2",
  "-subj",
  "/CN=rs.test",
  "-keyout",
  `${dir}/server.key`,
  "-out",
  `${dir}/server.crt`,
];
