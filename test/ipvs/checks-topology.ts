// The network the health-check test builds inside its guest (checks-program.ts): the traffic
// test's NAT real servers (traffic-topology.ts's nat1..nat3, same names and addresses) and its
// client, plus a sorry server, each a network namespace running real nginx. Only what the
// checks need: no DR, TUN or fwmark hosts, so the guest boots and builds it faster.
//
//   client 10.10.0.99 ── brc 10.10.0.1/24 (the VIP 10.10.0.100 is on it)
//   nat1 10.20.0.11  nat2 .12  nat3 .13  sorry .14 ── brs 10.20.0.1/24 (their gateway: the director)
//
// Each real server's nginx answers every request on a port with 503 while the file
// down-PORT exists in its directory: the way checks-nginx.test.ts fails a web server, here
// for the client's requests too (a real server that is failing fails its users).
import { CLIENT, IP, REAL_SERVERS, VIP } from "./traffic-topology.ts";

export { CLIENT, IP };
export const VIP_ADDRESS = VIP.nat;
/** The virtual server with three checked real servers (one with inhibit_on_failure). */
export const WEB_PORT = 80;
/** The virtual server with a quorum and a sorry server, over the same hosts' second port. */
export const QUORUM_PORT = 8080;

export interface CheckedHost {
  name: string;
  address: string;
  /** The ports its nginx listens on. */
  ports: number[];
}

const natHost = (name: string): CheckedHost => ({ name, address: REAL_SERVERS.find((rs) => rs.name === name)!.address, ports: [WEB_PORT, QUORUM_PORT] });

export const REAL_HOSTS: readonly CheckedHost[] = [natHost("nat1"), natHost("nat2"), natHost("nat3")];
export const SORRY_HOST: CheckedHost = { name: "sorry", address: "10.20.0.14", ports: [QUORUM_PORT] };

/** The kernel modules the topology needs beyond the image's (ipvs-guest.ts loads them). */
export const CHECKS_MODULES = ["veth", "bridge"];

/** Where a host's nginx keeps its configuration, pid file and fault files. */
export const hostDir = (name: string): string => `/tmp/rs/${name}`;
/** The file whose presence makes `name`'s nginx answer 503 on `port`. */
export const downFile = (name: string, port: number): string => `${hostDir(name)}/down-${port}`;

/** Shell commands that build the namespaces, bridges, links and addresses. */
export function checksTopologyCommands(): string[] {
  const commands = [
    "echo 1 > /proc/sys/net/ipv4/ip_forward",
    "echo 0 > /proc/sys/net/ipv4/conf/all/send_redirects",
    ...["brc", "brs"].flatMap((bridge) => [
      `${IP} link add ${bridge} type bridge forward_delay 0`,
      `${IP} link set ${bridge} up`,
      `echo 0 > /proc/sys/net/ipv4/conf/${bridge}/send_redirects`,
    ]),
    `${IP} addr add 10.10.0.1/24 dev brc`,
    `${IP} addr add 10.20.0.1/24 dev brs`,
    `${IP} addr add ${VIP_ADDRESS}/32 dev brc`,
    ...namespaceHost(CLIENT.name, CLIENT.address, "brc"),
  ];
  for (const host of [...REAL_HOSTS, SORRY_HOST]) {
    commands.push(...namespaceHost(host.name, host.address, "brs"), `${IP} -n ${host.name} route add default via 10.20.0.1`);
  }
  return commands;
}

/** A namespace with one veth leg on `bridge`. */
function namespaceHost(name: string, address: string, bridge: string): string[] {
  return [
    `${IP} netns add ${name}`,
    `${IP} link add v-${name} type veth peer name eth0 netns ${name}`,
    `${IP} link set v-${name} master ${bridge} up`,
    `${IP} -n ${name} link set lo up`,
    `${IP} -n ${name} addr add ${address}/24 dev eth0`,
    `${IP} -n ${name} link set eth0 up`,
  ];
}

/** nginx's configuration for one host: its name as the whole answer on each of its ports, 503 on a port while its down file exists. */
export function checkedNginxConfig(host: CheckedHost): string {
  const dir = hostDir(host.name);
  const servers = host.ports.map(
    (port) => `  server {
    listen ${port};
    if (-f ${downFile(host.name, port)}) { return 503; }
    location / { default_type text/plain; return 200 "${host.name}\\n"; }
  }`,
  );
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
  keepalive_timeout 0;
${servers.join("\n")}
}
`;
}
