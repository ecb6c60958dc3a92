// keepalived.conf text for the director's guest test: a weighted TCP service, a UDP one with
// one-packet scheduling, a persistent fwmark service, an IPv6 service and a group with a range.
// Real servers without checkers are alive, as in keepalived. `setSysctls` adds tandem's
// ipvs_set_sysctls. The web service's notify scripts
// (NOTIFY_SCRIPT, which the program writes) log each run, with omega so a stop notifies too.

/** Appends its arguments to NOTIFY_LOG. */
export const NOTIFY_SCRIPT = "/tmp/notify.sh";
export const NOTIFY_LOG = "/tmp/notify.log";

export function directorConfig(options: { webWeight2?: number; setSysctls?: boolean }): string {
  return `
global_defs {
  router_id director-test${options.setSysctls ? "\n  ipvs_set_sysctls" : ""}
  lvs_timeouts tcp 900 tcpfin 60 udp 120
  lvs_sync_daemon eth0 VI_1 id 5
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.0.0.1/32
  }
}
virtual_server 10.0.0.1 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  omega
  quorum_up "${NOTIFY_SCRIPT} quorum_up web"
  quorum_down "${NOTIFY_SCRIPT} quorum_down web"
  real_server 10.0.1.2 80 {
    weight 3
  }
  real_server 10.0.1.3 80 {
    weight ${options.webWeight2 ?? 1}
    notify_down "${NOTIFY_SCRIPT} notify_down 10.0.1.3"
  }
}
virtual_server 10.0.0.2 53 {
  lb_algo rr
  lb_kind DR
  protocol UDP
  ops
  real_server 10.0.1.4 53 {
  }
}
virtual_server fwmark 7 {
  lb_algo sh
  lb_kind DR
  sh-port
  persistence_timeout 600
  real_server 10.0.1.5 0 {
    weight 2
  }
}
virtual_server 2001:db8::1 443 {
  lb_algo lc
  lb_kind TUN
  protocol TCP
  real_server 2001:db8::2 443 {
  }
}
virtual_server_group web {
  10.0.0.10-12 8080
}
virtual_server group web {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.1.6 8080 {
  }
}
`;
}
