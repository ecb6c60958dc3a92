// The network the traffic test builds inside its guest (traffic-program.ts), with the names
// and addresses traffic.test.ts asserts on. The guest's root namespace is the director; every
// other host is a network namespace running real nginx:
//
//   client 10.10.0.99 ──┐
//   dr1 .11  dr2 .12 ───┤ brc 10.10.0.1/24 (the VIPs 10.10.0.100-.103 are on it)
//   tun1 .21 tun2 .22 ──┘
//   nat1 10.20.0.11  nat2 .12  nat3 .13 ── brs 10.20.0.1/24 (their gateway: the director)
//
// DR servers carry their VIP on lo and neither answer nor announce ARP for it; TUN servers
// carry theirs on tunl0 (ipip) with reverse-path filtering off, as an operator sets them up.

/**
 * iproute2's ip (ipvs-guest.ts's wrapper for the host's): the image's busybox ip has no netns,
 * and busybox sh runs its own applets before anything on PATH, so the path is spelled out.
 */
export const IP = "/ktest/bin/ip";

export const VIP = { nat: "10.10.0.100", dr: "10.10.0.101", tun: "10.10.0.102", fwmark: "10.10.0.103" } as const;
export const FWMARK = 7;

export interface RealServerHost {
  name: string;
  address: string;
  bridge: "brc" | "brs";
  kind: "nat" | "dr" | "tun";
}

export const REAL_SERVERS: readonly RealServerHost[] = [
  { name: "nat1", address: "10.20.0.11", bridge: "brs", kind: "nat" },
  { name: "nat2", address: "10.20.0.12", bridge: "brs", kind: "nat" },
  { name: "nat3", address: "10.20.0.13", bridge: "brs", kind: "nat" },
  { name: "dr1", address: "10.10.0.11", bridge: "brc", kind: "dr" },
  { name: "dr2", address: "10.10.0.12", bridge: "brc", kind: "dr" },
  { name: "tun1", address: "10.10.0.21", bridge: "brc", kind: "tun" },
  { name: "tun2", address: "10.10.0.22", bridge: "brc", kind: "tun" },
];

export const CLIENT = { name: "client", address: "10.10.0.99" } as const;

/** The kernel modules the topology needs beyond the image's (ipvs-guest.ts loads them). */
export const TOPOLOGY_MODULES = ["veth", "bridge", "ipip", "nf_tables"];

/** Shell commands that build the namespaces, links, addresses and the fwmark rule. */
export function topologyCommands(): string[] {
  const commands = [
    sysctl(undefined, { "net.ipv4.ip_forward": 1, "net.ipv4.conf.all.send_redirects": 0 }),
    ...["brc", "brs"].flatMap((bridge) => [
      `${IP} link add ${bridge} type bridge forward_delay 0`,
      `${IP} link set ${bridge} up`,
      // A director on the same L2 as the client would otherwise redirect it past itself.
      sysctl(undefined, { [`net.ipv4.conf.${bridge}.send_redirects`]: 0 }),
    ]),
    "ip addr add 10.10.0.1/24 dev brc",
    "ip addr add 10.20.0.1/24 dev brs",
    ...Object.values(VIP).map((vip) => `${IP} addr add ${vip}/32 dev brc`),
    ...host(CLIENT.name, CLIENT.address, "brc"),
  ];
  for (const rs of REAL_SERVERS) {
    commands.push(...host(rs.name, rs.address, rs.bridge));
    if (rs.kind === "nat") commands.push(`${IP} -n ${rs.name} route add default via 10.20.0.1`);
    if (rs.kind === "dr") {
      commands.push(
        `${IP} -n ${rs.name} addr add ${VIP.dr}/32 dev lo`,
        sysctl(rs.name, { "net.ipv4.conf.all.arp_ignore": 1, "net.ipv4.conf.all.arp_announce": 2 }),
      );
    }
    if (rs.kind === "tun") {
      commands.push(
        `${IP} -n ${rs.name} link set tunl0 up`,
        `${IP} -n ${rs.name} addr add ${VIP.tun}/32 dev tunl0`,
        sysctl(rs.name, {
          "net.ipv4.conf.all.rp_filter": 0,
          "net.ipv4.conf.tunl0.rp_filter": 0,
          "net.ipv4.conf.all.arp_ignore": 1,
          "net.ipv4.conf.all.arp_announce": 2,
        }),
      );
    }
  }
  // keepalived's fwmark services need the operator's own mark rule: here nft's.
  commands.push(
    `nft add table ip tandemtest`,
    `nft add chain ip tandemtest pre '{ type filter hook prerouting priority mangle; }'`,
    `nft add rule ip tandemtest pre ip daddr ${VIP.fwmark} tcp dport 80 meta mark set ${FWMARK}`,
  );
  return commands;
}

/** Writes sysctls in a namespace (the root one when undefined) through /proc/sys, which is per namespace. */
function sysctl(namespace: string | undefined, values: Record<string, number>): string {
  const writes = Object.entries(values)
    .map(([key, value]) => `echo ${value} > /proc/sys/${key.replaceAll(".", "/")}`)
    .join("; ");
  return namespace ? `${IP} netns exec ${namespace} sh -c '${writes}'` : writes;
}

/** A namespace with one veth leg on `bridge`. */
function host(name: string, address: string, bridge: string): string[] {
  return [
    `${IP} netns add ${name}`,
    `${IP} link add v-${name} type veth peer name eth0 netns ${name}`,
    `${IP} link set v-${name} master ${bridge} up`,
    `${IP} -n ${name} link set lo up`,
    `${IP} -n ${name} addr add ${address}/24 dev eth0`,
    `${IP} -n ${name} link set eth0 up`,
  ];
}

/** nginx's configuration for one real server: its name as the whole answer, on ports 80 and 8080, connections kept open. */
export function nginxConfig(name: string, dir: string): string {
  return `user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 300s;
  keepalive_requests 1000000;
  server {
    listen 80;
    listen 8080;
    location / { default_type text/plain; return 200 "${name}\\n"; }
  }
}
`;
}
