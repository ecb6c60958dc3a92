// The typed, validated configuration that the keepalived.conf front end produces.
// VRRP's IPv4 addresses are unsigned 32-bit numbers (src/common/ipv4.ts); the director's are
// IpAddress values, v4 or v6 (src/common/ip-address.ts). Times keep their unit in the name.

import type { IpAddress, IpFamily } from "../common/ip-address.ts";
import type { SourceLocation } from "./diagnostics.ts";

export type { SourceLocation } from "./diagnostics.ts";

/** Where each field of a record was set, for diagnostics raised by later stages (daemon, vrrp). */
export type FieldLocations<T> = Partial<Record<Exclude<keyof T, "location" | "fieldLocations">, SourceLocation>>;

export interface ScriptUser {
  user: string;
  group?: string;
}

export interface Config {
  globalDefs: GlobalDefs;
  vrrpScripts: VrrpScript[];
  trackFiles: VrrpTrackFile[];
  vrrpInstances: VrrpInstance[];
  syncGroups: VrrpSyncGroup[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
  /** The top-level `SSL` block: the client side of every SSL_GET (keepalived's one SSL_CTX). */
  ssl?: SslSettings;
}

/**
 * `SSL { password ca certificate key }`: file paths as written, read by the SSL_GET probe.
 * keepalived sends the certificate to a server that asks for one and loads `ca` but never
 * verifies with it; tandem's SSL_GET `tls_verify` does.
 */
export interface SslSettings {
  /** `password`: the passphrase of an encrypted `key`. */
  password?: string;
  /** `ca`: PEM file of the CAs that `tls_verify` trusts (else the system store). */
  ca?: string;
  /** `certificate`: PEM file of the client certificate (and its chain). */
  certificate?: string;
  /** `key`: PEM file of the client certificate's private key. */
  key?: string;
  location: SourceLocation;
  fieldLocations: FieldLocations<SslSettings>;
}

/** keepalived's per-process scheduling keywords (<prefix>_priority, _rt_priority, ...). */
export interface ProcessScheduling {
  /** Nice value -20..19. */
  nice?: number;
  /** SCHED_RR priority 1..99. */
  rtPriority?: number;
  /** CPU time a realtime thread may use without blocking (keepalived's default 10000 us). */
  rlimitRttimeUs?: number;
  /** mlockall: the process's memory is never swapped out. */
  noSwap?: boolean;
  /** The CPUs (0-based) the process may run on. */
  cpuAffinity?: number[];
}

export interface GlobalDefs {
  routerId?: string;
  /** `vrrp_version`; an instance's own `version` overrides it. */
  vrrpVersion: 2 | 3;
  /** `vrrp_garp_master_delay`: seconds before the second burst of gratuitous ARPs; 0 = none. */
  garpMasterDelayS: number;
  /** `vrrp_garp_master_repeat`: gratuitous ARPs per burst. */
  garpMasterRepeat: number;
  /** `vrrp_garp_master_refresh`: seconds between refresh bursts while master; 0 = off. */
  garpMasterRefreshS: number;
  /** `vrrp_garp_master_refresh_repeat`. */
  garpMasterRefreshRepeat: number;
  scriptUser?: ScriptUser;
  enableScriptSecurity: boolean;
  notificationEmail: string[];
  notificationEmailFrom?: string;
  smtpServer?: { host: string; port: number };
  smtpConnectTimeoutS?: number;
  /** Tandem extension `api_listen HOST:PORT`; the daemon applies the default 127.0.0.1:8080. */
  apiListen?: string;
  /** Tandem extension `api_token_file PATH`: file holding the REST API bearer token. */
  apiTokenFile?: string;
  /** Tandem: PEM certificate and key; the API serves HTTPS when both are set. */
  apiTlsCertificate?: string;
  apiTlsKey?: string;
  /** Tandem: every read but /healthz and the page shell needs the token too. */
  apiReadsNeedToken?: boolean;
  /** vrrp_priority, vrrp_rt_priority, ...: how the VRRP engine's process is scheduled. */
  vrrpProcess?: ProcessScheduling;
  /** checker_*: the same for the other side (API, history; later the checkers). */
  checkerProcess?: ProcessScheduling;
  /** Tandem extensions: event history retention (the store's defaults: 90 days, 1,000,000 events). */
  historyMaxAgeDays?: number;
  historyMaxEvents?: number;
  /** `lvs_sync_daemon`: the kernel's connection-sync daemon. */
  lvsSyncDaemon?: LvsSyncDaemon;
  /** `lvs_timeouts`: the IPVS connection timeouts to set; undefined ones are left as they are. */
  lvsTimeouts?: { tcpS?: number; tcpFinS?: number; udpS?: number };
  /** `lvs_flush`: empty the whole IPVS table at start. */
  lvsFlush: boolean;
  /** `lvs_flush_on_stop`: at stop, flush the whole table ("full") or delete its virtual servers only ("vs", `lvs_flush_on_stop VS`). */
  lvsFlushOnStop?: "full" | "vs";
  /** `notify_fifo`: the FIFO both the VRRP engine and the director write their lines to (each creates it if missing). */
  notifyFifo?: string;
  /** `notify_fifo_script`: its reader, started with the path appended by the director when it runs, else by the engine. */
  notifyFifoScript?: string;
  /** `vrrp_notify_fifo`: the FIFO the VRRP engine writes its `INSTANCE "VI_1" MASTER 100` lines to. */
  vrrpNotifyFifo?: string;
  /** `vrrp_notify_fifo_script`: started with the FIFO's path appended, to read it; runs until tandem stops or reloads. */
  vrrpNotifyFifoScript?: string;
  /** `fifo_write_vrrp_states_on_reload`: a reload writes the states it keeps to the VRRP FIFOs. */
  fifoWriteVrrpStatesOnReload?: boolean;
  /** `lvs_notify_fifo`: the FIFO the director writes its "VS ... UP" / "RS ... DOWN" lines to (keepalived creates it). */
  lvsNotifyFifo?: string;
  /** `lvs_notify_fifo_script`: started with the FIFO's path appended, to read it; runs until tandem stops or reloads. */
  lvsNotifyFifoScript?: string;
  /** `rs_init_notifies`: notify_up for every real server that is up at start (or new at a reload). */
  rsInitNotifies: boolean;
  /** Tandem extension `real_server_drain_timeout`: seconds a removed or drained real server may keep connections at weight 0 before it is deleted. */
  realServerDrainTimeoutS: number;
  /** Tandem extension `ipvs_set_sysctls`: the director sets the sysctls its preflight finds wrong (ipvs/preflight.ts) instead of only warning. */
  ipvsSetSysctls: boolean;
  /**
   * `vrrp_startup_delay`: seconds after a start (not a reload) during which every instance is
   * held in BACKUP (keepalived's vrrp_delayed_start_time); undefined: none.
   */
  vrrpStartupDelayS?: number;
  /**
   * Tandem extension `director_ready_timeout`: at most this many seconds the instances are held
   * at start until the director's first IPVS pass is done; 0: not held.
   */
  directorReadyTimeoutS: number;
  location?: SourceLocation;
  fieldLocations: FieldLocations<GlobalDefs>;
}

/** `lvs_sync_daemon IF [[inst] NAME] [id N] [maxlen N] [port N] [ttl N] [group IP]`; undefined options are the kernel's defaults. */
export interface LvsSyncDaemon {
  interface: string;
  /** The VRRP instance it follows (master sync daemon while MASTER, backup otherwise); none: both run always. */
  instance?: string;
  /** `id`, else the instance's virtual_router_id, else 0. */
  syncId: number;
  maxLen?: number;
  port?: number;
  ttl?: number;
  /** A multicast group (the kernel's default is 224.0.0.81). */
  group?: IpAddress;
}

export interface VrrpScript {
  name: string;
  /** The command line as written (quotes removed); split into argv by the script runner. */
  script: string;
  intervalS: number;
  /** keepalived prints 0 when unset but kills the script after `interval`; we store that effective value. */
  timeoutS: number;
  /** -253..253; 0 means "fault when failing". */
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  user?: ScriptUser;
  initFail: boolean;
  location: SourceLocation;
  fieldLocations: FieldLocations<VrrpScript>;
}

export interface VrrpTrackFile {
  name: string;
  file: string;
  weight: number;
  weightReverse: boolean;
  /** `init_file [VALUE] [overwrite]`. */
  initFile?: { value: number; overwrite: boolean };
  location: SourceLocation;
  fieldLocations: FieldLocations<VrrpTrackFile>;
}

export type VipScope = "global" | "site" | "link" | "host" | "nowhere" | number;

export interface VirtualIp {
  address: number;
  prefixLength: number;
  broadcast?: number;
  device?: string;
  scope?: VipScope;
  label?: string;
  location: SourceLocation;
}

export interface TrackedInterface {
  name: string;
  weight?: number;
  weightReverse?: boolean;
  location: SourceLocation;
}

export interface TrackRef {
  name: string;
  weight?: number;
  weightReverse?: boolean;
  location: SourceLocation;
}

export interface VrrpInstance {
  name: string;
  initialState: "MASTER" | "BACKUP";
  interface: string;
  vrid: number;
  /** 1..255. keepalived: unset priority with `state MASTER` means 255 (owner), else 100. */
  priority: number;
  advertIntervalCs: number;
  version: 2 | 3;
  auth?: { type: "PASS"; password: string };
  virtualIps: VirtualIp[];
  virtualIpsExcluded: VirtualIp[];
  trackInterfaces: TrackedInterface[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  preempt: boolean;
  preemptDelayS: number;
  /** Tandem extension `fast_preempt` / `no_fast_preempt`. */
  fastPreempt: boolean;
  unicastSrcIp?: number;
  unicastPeers: number[];
  mcastSrcIp?: number;
  notify?: string;
  notifyMaster?: string;
  notifyBackup?: string;
  notifyFault?: string;
  notifyStop?: string;
  /**
   * `notify_deleted [COMMAND]`: an instance removed from the configuration by a reload is
   * announced as DELETED instead of keepalived's default FAULT, and COMMAND (if any) runs.
   */
  notifyDeleted?: { command?: string };
  /** Per-instance overrides of the global vrrp_garp_* values; undefined = use the global. */
  garpMasterDelayS?: number;
  garpMasterRepeat?: number;
  garpMasterRefreshS?: number;
  garpMasterRefreshRepeat?: number;
  dontTrackPrimary: boolean;
  useVmac: boolean;
  smtpAlert: boolean;
  location: SourceLocation;
  fieldLocations: FieldLocations<VrrpInstance>;
}

export interface VrrpSyncGroup {
  name: string;
  members: string[];
  notify?: string;
  notifyMaster?: string;
  notifyBackup?: string;
  notifyFault?: string;
  notifyStop?: string;
  smtpAlert: boolean;
  location: SourceLocation;
  fieldLocations: FieldLocations<VrrpSyncGroup>;
}

export type LbKind = "NAT" | "DR" | "TUN";
export type LbProtocol = "TCP" | "UDP" | "SCTP";

/** `lvs_method TUN type ipip|gue port N|gre [nocsum|csum|remcsum]`: the encapsulation (ip_vs.h IP_VS_CONN_F_TUNNEL_TYPE_*). */
export interface TunnelOptions {
  type: "ipip" | "gue" | "gre";
  /** The GUE tunnel's UDP port; 0 for ipip and gre. */
  port: number;
  /** ipip is always nocsum; gre takes nocsum or csum; gue any. */
  checksum: "nocsum" | "csum" | "remcsum";
}

/**
 * `virtual_server IP [PORT]` (port 0: none written, a persistent service on every port),
 * `virtual_server fwmark N` or `virtual_server group NAME`.
 */
export type VirtualServerKey = { kind: "address"; address: IpAddress; port: number } | { kind: "fwmark"; fwmark: number } | { kind: "group"; group: string };

/** IP_VS_SVC_F_SCHED1..3: `flag-1..3`; sh-fallback and mh-fallback are flag 1, sh-port and mh-port flag 2. */
export interface SchedulerFlags {
  flag1: boolean;
  flag2: boolean;
  flag3: boolean;
}

/** `persistence_granularity`: a netmask for an IPv4 service, a prefix length for an IPv6 one. */
export type PersistenceGranularity = { kind: "netmask"; netmask: number } | { kind: "prefix"; prefixLength: number };

export interface SorryServer {
  address: IpAddress;
  /** As keepalived leaves it: a non-NAT sorry server takes the virtual server's port (0 for fwmark); NAT keeps its own, 0 if none. */
  port: number;
  /** `sorry_server_lvs_method`, else the virtual server's. */
  lbKind: LbKind;
  /** Set iff lbKind is TUN. */
  tunnel?: TunnelOptions;
  /** `sorry_server_inhibit`. */
  inhibitOnFailure: boolean;
  location: SourceLocation;
}

/** The defaults a virtual server gives its real servers, and a real server its checkers (keepalived's inheritance). */
export interface CheckerDefaults {
  connectTimeoutS?: number;
  retry?: number;
  delayBeforeRetryS?: number;
  delayLoopS?: number;
  warmupS?: number;
  alpha?: boolean;
}

export interface VirtualServer {
  key: VirtualServerKey;
  /**
   * The family of its services (keepalived's vs->af): the address's; for a fwmark, `ip_family`, else
   * `persistence_granularity`'s, else its non-tunnelled real and sorry servers', else its tunnelled
   * ones' when they agree, else IPv4; for a group, the same or the group's. Undefined only for a
   * group holding both families (every real server tunnelled; each fwmark entry has its own family).
   */
  family?: IpFamily;
  delayLoopS: number;
  /** `lvs_sched` / `lb_algo`; keepalived's default wlc. */
  lbAlgo: string;
  schedulerFlags: SchedulerFlags;
  /** `ops`: one-packet scheduling (cleared, with a warning, on a TCP or SCTP address service). */
  onePacket: boolean;
  /** The default forwarding method of its real and sorry servers (NAT if none). */
  lbKind: LbKind;
  tunnel?: TunnelOptions;
  persistenceTimeoutS?: number;
  persistenceGranularity?: PersistenceGranularity;
  /** `persistence_engine` ("sip"). */
  persistenceEngine?: string;
  /** Undefined for a fwmark service and a group of fwmarks only (keepalived ignores the protocol there). */
  protocol?: LbProtocol;
  sorryServer?: SorryServer;
  /** After keepalived's clamp: at most the sum of the real servers' weights. */
  quorum: number;
  /** After keepalived's clamp: below the quorum. */
  hysteresis: number;
  quorumUp?: string;
  quorumDown?: string;
  alpha: boolean;
  omega: boolean;
  /** `ha_suspend`: checks paused while the virtual address is absent (never for fwmarks). */
  haSuspend: boolean;
  inhibitOnFailure: boolean;
  /** `weight` in virtual_server: the weight of real servers that set none (default 1). */
  weight: number;
  /** tandem's `slowstart` in virtual_server, as written: the default of its real servers (absent: 0, off). */
  slowStartS?: number;
  virtualhost?: string;
  /** What its real servers inherit: connect_timeout (5 s unless set), delay_loop, alpha and what was set. */
  checkDefaults: CheckerDefaults;
  realServers: RealServer[];
  location: SourceLocation;
  fieldLocations: FieldLocations<VirtualServer>;
}

export interface RealServer {
  address: IpAddress;
  /**
   * For an address service: the virtual server's port unless NAT gave its own; for fwmark: 0 unless
   * NAT gave one. In a group, as written (0 if none): keepalived uses each entry's port for non-NAT.
   */
  port: number;
  /** Its own, else the virtual server's `weight`. */
  weight: number;
  /** Its own, else the virtual server's. */
  inhibitOnFailure: boolean;
  /**
   * tandem's `slowstart`: its own, else the virtual server's; absent when neither sets one (0,
   * off, as keepalived): the seconds over which its weight ramps up after it recovers from a failure.
   */
  slowStartS?: number;
  notifyUp?: string;
  notifyDown?: string;
  /** Its own `lvs_method`, else the virtual server's (as it was when the real_server block began, as in keepalived). */
  lbKind: LbKind;
  /** Set iff lbKind is TUN. */
  tunnel?: TunnelOptions;
  /** Connection thresholds; 0 = none. */
  uthreshold: number;
  lthreshold: number;
  virtualhost?: string;
  /** Its own, else the virtual server's; what its checkers inherit. */
  checkDefaults: CheckerDefaults;
  checkers: Checker[];
  location: SourceLocation;
  fieldLocations: FieldLocations<RealServer>;
}

/** Options shared by all connection-based checkers; undefined = inherit / checker default. */
export interface CheckerCommon extends CheckerDefaults {
  connectIp?: IpAddress;
  connectPort?: number;
  bindTo?: IpAddress;
  bindPort?: number;
  bindInterface?: string;
  fwmark?: number;
}

export interface HttpUrl {
  path: string;
  digest?: string;
  /** Inclusive ranges; empty = keepalived's default 200-299. */
  statusCodes: { from: number; to: number }[];
  virtualhost?: string;
  regex?: string;
  /** `regex_no_match`: the url passes when the regex does NOT match. */
  regexNoMatch?: boolean;
  /** `regex_options`: keepalived's PCRE2 option names, as written. */
  regexOptions?: string[];
  /** `regex_min_offset` / `regex_max_offset`: a match must start within these body offsets. */
  regexMinOffset?: number;
  regexMaxOffset?: number;
  location: SourceLocation;
}

export interface SmtpHost extends CheckerCommon {
  location: SourceLocation;
}

interface CheckerBase extends CheckerCommon {
  location: SourceLocation;
  /** tandem's `rise`: consecutive good checks that bring a down server up (default 1 once rise or fall is set). */
  rise?: number;
  /** tandem's `fall`: consecutive failed checks that take an up server down (default retry + 1 once rise or fall is set). */
  fall?: number;
  /** tandem's `delay_jitter`: each delay moved by up to this percentage of itself, either way. */
  delayJitterPercent?: number;
}

export interface HttpChecker extends CheckerBase {
  kind: "HTTP_GET" | "SSL_GET";
  urls: HttpUrl[];
  virtualhost?: string;
  httpProtocol?: string;
  enableSni: boolean;
  /** fast_recovery: before the first verdict, or down with no url known to fail, the next check runs at once. */
  fastRecovery: boolean;
  /** Tandem's SSL_GET `tls_verify`: the server's certificate must chain to a trusted CA, name the server and be valid now. */
  tlsVerify: boolean;
  /** Tandem's SSL_GET `tls_expiry_warn DAYS`: a certificate expiring within DAYS is reported (0: never). */
  tlsExpiryWarnDays?: number;
}
export interface TcpChecker extends CheckerBase {
  kind: "TCP_CHECK";
}
export interface SmtpChecker extends CheckerBase {
  kind: "SMTP_CHECK";
  heloName?: string;
  hosts: SmtpHost[];
}
export interface MiscChecker extends CheckerBase {
  kind: "MISC_CHECK";
  path: string;
  timeoutS?: number;
  dynamic: boolean;
  user?: ScriptUser;
}
export interface DnsChecker extends CheckerBase {
  kind: "DNS_CHECK";
  type: string;
  name: string;
  /** tandem's require_answer: a NOERROR reply must also answer with a record of the type for the name. */
  requireAnswer: boolean;
}
export interface UdpChecker extends CheckerBase {
  kind: "UDP_CHECK";
  payload?: string;
  requireReply?: string | true;
  minReplyLength?: number;
  maxReplyLength?: number;
}
export interface PingChecker extends CheckerBase {
  kind: "PING_CHECK";
}
export interface FileChecker extends CheckerBase {
  kind: "FILE_CHECK";
  trackFile: string;
  dynamic: boolean;
  weight?: number;
  weightReverse: boolean;
}

export type Checker = HttpChecker | TcpChecker | SmtpChecker | MiscChecker | DnsChecker | UdpChecker | PingChecker | FileChecker;
export type CheckerKind = Checker["kind"];

/**
 * A group's line: an address, a range (`10.0.0.2-9`, `ae00::2-a`, `10.0.0.250-10.0.1.10`) or a
 * block (`10.0.0.0/29`) kept as first..last, never expanded; port 0 when none is written. Or
 * `fwmark N [inet|inet6]`, whose family is otherwise the virtual server's.
 */
export type VirtualServerGroupEntry =
  | { kind: "range"; first: IpAddress; last: IpAddress; port: number; location: SourceLocation }
  | { kind: "fwmark"; fwmark: number; family?: IpFamily; location: SourceLocation };

export interface VirtualServerGroup {
  name: string;
  entries: VirtualServerGroupEntry[];
  location: SourceLocation;
}
