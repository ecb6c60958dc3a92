// The typed, validated configuration that the keepalived.conf front end produces.
// IPv4 addresses are unsigned 32-bit numbers (src/common/ipv4.ts); times keep their unit in the name.

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
  location?: SourceLocation;
  fieldLocations: FieldLocations<GlobalDefs>;
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

export type VirtualServerKey = { kind: "address"; address: number; port?: number } | { kind: "fwmark"; fwmark: number } | { kind: "group"; group: string };

export interface VirtualServer {
  key: VirtualServerKey;
  delayLoopS: number;
  lbAlgo: string;
  lbKind: LbKind;
  persistenceTimeoutS?: number;
  persistenceGranularity?: number;
  protocol: LbProtocol;
  sorryServer?: { address: number; port?: number };
  quorum: number;
  hysteresis: number;
  quorumUp?: string;
  quorumDown?: string;
  alpha: boolean;
  omega: boolean;
  inhibitOnFailure: boolean;
  virtualhost?: string;
  /** Checker defaults inherited by real servers and checkers. */
  checkDefaults: CheckerCommon;
  realServers: RealServer[];
  location: SourceLocation;
  fieldLocations: FieldLocations<VirtualServer>;
}

export interface RealServer {
  address: number;
  port?: number;
  weight: number;
  inhibitOnFailure: boolean;
  notifyUp?: string;
  notifyDown?: string;
  lbKind?: LbKind;
  uthreshold?: number;
  lthreshold?: number;
  virtualhost?: string;
  checkDefaults: CheckerCommon;
  checkers: Checker[];
  location: SourceLocation;
  fieldLocations: FieldLocations<RealServer>;
}

/** Options shared by all connection-based checkers; undefined = inherit / checker default. */
export interface CheckerCommon {
  connectIp?: number;
  connectPort?: number;
  bindTo?: number;
  bindPort?: number;
  bindInterface?: string;
  connectTimeoutS?: number;
  retry?: number;
  delayBeforeRetryS?: number;
  delayLoopS?: number;
  warmupS?: number;
  alpha?: boolean;
  fwmark?: number;
}

export interface HttpUrl {
  path: string;
  digest?: string;
  /** Inclusive ranges; empty = keepalived's default 200-299. */
  statusCodes: { from: number; to: number }[];
  virtualhost?: string;
  regex?: string;
  location: SourceLocation;
}

export interface SmtpHost extends CheckerCommon {
  location: SourceLocation;
}

interface CheckerBase extends CheckerCommon {
  location: SourceLocation;
}

export interface HttpChecker extends CheckerBase {
  kind: "HTTP_GET" | "SSL_GET";
  urls: HttpUrl[];
  virtualhost?: string;
  httpProtocol?: string;
  enableSni: boolean;
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

export type VirtualServerGroupEntry =
  { kind: "range"; first: number; last: number; port?: number; location: SourceLocation } | { kind: "fwmark"; fwmark: number; location: SourceLocation };

export interface VirtualServerGroup {
  name: string;
  entries: VirtualServerGroupEntry[];
  location: SourceLocation;
}
