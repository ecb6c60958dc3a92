// keepalived.conf for the health-check test (checks-program.ts), run by tandem and then by
// keepalived 2.2.7 unchanged: over checks-topology.ts's hosts, a virtual server with three
// HTTP_GET-checked real servers (nat2 with inhibit_on_failure), and a second one with a quorum
// and a sorry server. The checkers' timing is checks-nginx.test.ts's; CHECK_TIMING holds it
// for the bounds checks.test.ts puts on each detection.
import { QUORUM_PORT, REAL_HOSTS, SORRY_HOST, VIP_ADDRESS, WEB_PORT } from "./checks-topology.ts";

/** delay_loop, retry, delay_before_retry and connect_timeout of every checker, in ms and counts. */
export const CHECK_TIMING = { delayLoopMs: 1000, retry: 1, delayBeforeRetryMs: 1000, connectTimeoutMs: 1000 } as const;

/** The quorum virtual server's quorum: the sum of its alive real servers' weights (1 each) must reach it. */
export const QUORUM = 2;

/** The real server of the web virtual server that has inhibit_on_failure: weight 0 when down, not removed. */
export const INHIBITED_HOST = "nat2";

const checker = `HTTP_GET {
      url {
        path /health
        status_code 200
      }
      connect_timeout ${CHECK_TIMING.connectTimeoutMs / 1000}
      retry ${CHECK_TIMING.retry}
      delay_before_retry ${CHECK_TIMING.delayBeforeRetryMs / 1000}
    }`;

function realServers(port: number, inhibited: string | undefined): string {
  return REAL_HOSTS.map(
    (host) => `  real_server ${host.address} ${port} {
    weight 1${host.name === inhibited ? "\n    inhibit_on_failure" : ""}
    ${checker}
  }`,
  ).join("\n");
}

export function checksConfig(): string {
  return `global_defs {
  router_id checks
}

virtual_server ${VIP_ADDRESS} ${WEB_PORT} {
  delay_loop ${CHECK_TIMING.delayLoopMs / 1000}
  lb_algo rr
  lb_kind NAT
  protocol TCP
${realServers(WEB_PORT, INHIBITED_HOST)}
}

virtual_server ${VIP_ADDRESS} ${QUORUM_PORT} {
  delay_loop ${CHECK_TIMING.delayLoopMs / 1000}
  lb_algo rr
  lb_kind NAT
  protocol TCP
  quorum ${QUORUM}
  sorry_server ${SORRY_HOST.address} ${QUORUM_PORT}
${realServers(QUORUM_PORT, undefined)}
}
`;
}
