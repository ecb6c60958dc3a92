// keepalived.conf for the traffic test (traffic-program.ts), over traffic-topology.ts's hosts:
// NAT with wrr 3:1:1, a persistent NAT service, DR, TUN (ipip) and a fwmark service. No
// checkers (issue 11): each real server is alive, as keepalived treats one without a checker.
import { FWMARK, REAL_SERVERS, VIP } from "./traffic-topology.ts";

const addressOf = (name: string): string => REAL_SERVERS.find((rs) => rs.name === name)!.address;

/** The NAT service's weights; the reload test changes nat3's. */
export const NAT_WEIGHTS: Record<string, number> = { nat1: 3, nat2: 1, nat3: 1 };

/** The file with the NAT service's real servers and weights given (a name left out is not configured). */
export function trafficConfig(natWeights: Record<string, number> = NAT_WEIGHTS, drainTimeoutS?: number): string {
  const realServers = (names: string[], port: number, weight: (name: string) => number = () => 1) =>
    names.map((name) => `  real_server ${addressOf(name)} ${port} {\n    weight ${weight(name)}\n  }`).join("\n");
  return `global_defs {
  router_id traffic
  api_listen 127.0.0.1:8080
  api_token_file /tmp/tandem/api.token${drainTimeoutS === undefined ? "" : `\n  real_server_drain_timeout ${drainTimeoutS}`}
}

virtual_server ${VIP.nat} 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
${realServers(Object.keys(natWeights), 80, (name) => natWeights[name]!)}
}

virtual_server ${VIP.nat} 8080 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  persistence_timeout 60
${realServers(["nat1", "nat2", "nat3"], 8080)}
}

virtual_server ${VIP.dr} 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
${realServers(["dr1", "dr2"], 80)}
}

virtual_server ${VIP.tun} 80 {
  lb_algo rr
  lb_kind TUN
  protocol TCP
${realServers(["tun1", "tun2"], 80)}
}

virtual_server fwmark ${FWMARK} {
  lb_algo rr
  lb_kind NAT
${realServers(["nat1", "nat2"], 80)}
}
`;
}
