// What each field of the typed model (model.ts) holds, for code that shows or walks a
// Config without knowing it field by field (GET /config): an address, a plain number,
// a secret, a nested record. Every field of every record is listed, so a new field does
// not compile until someone says what it holds; a number can never pass for an address.
import type { IpAddress } from "../common/ip-address.ts";
import type {
  Checker,
  CheckerCommon,
  CheckerDefaults,
  Config,
  DnsChecker,
  FileChecker,
  GlobalDefs,
  HttpChecker,
  LvsSyncDaemon,
  HttpUrl,
  MiscChecker,
  PersistenceGranularity,
  PingChecker,
  ProcessScheduling,
  RealServer,
  ScriptUser,
  SmtpChecker,
  SorryServer,
  SslSettings,
  TcpChecker,
  TrackedInterface,
  TrackRef,
  TunnelOptions,
  UdpChecker,
  VirtualIp,
  VirtualServer,
  VirtualServerGroup,
  VirtualServerGroupEntry,
  VirtualServerKey,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
  VrrpTrackFile,
} from "./model.ts";

/**
 * A field's meaning. "ipv4": a number (or list of numbers) that is an IPv4 address or mask;
 * "ip": an IpAddress (v4 or v6, shown as its text); "number": any other number; "value": text, flags, enumerations, shown as they are;
 * "secret": text never shown; `record`/`variants`: a nested record (or a list of them),
 * `variants` for a union told apart by its `kind`.
 */
export type FieldKind =
  "ipv4" | "ip" | "number" | "value" | "secret" | { readonly record: RecordFields } | { readonly variants: Readonly<Record<string, RecordFields>> };
export type RecordFields = Readonly<Record<string, FieldKind>>;

/** The fields of T but its source locations (where it was written, not what it says). */
export type Fields<T> = { readonly [K in Exclude<keyof T, "location" | "fieldLocations">]-?: KindOf<NonNullable<T[K]>> };

// The kinds a field of type V may take: only number-typed fields may be "ipv4", and only IpAddress ones are "ip".
type KindOf<V> = [V] extends [number | readonly number[]] ? "ipv4" | "number" : [V] extends [readonly (infer E)[]] ? ElementKind<E> : ElementKind<V>;
type ElementKind<E> = [E] extends [IpAddress]
  ? "ip"
  : [E] extends [string]
    ? "value" | "secret"
    : [E] extends [{ kind: string }]
      ? { readonly variants: Variants<E> }
      : [E] extends [object]
        ? { readonly record: Fields<E> }
        : "value";
type Variants<E> = { readonly [K in KindsOf<E>]: Fields<VariantOf<E, K>> };
type KindsOf<E> = E extends { kind: infer K extends string } ? K : never;
// Not Extract: one record type may serve several kinds (HttpChecker is HTTP_GET and SSL_GET).
type VariantOf<E, K> = E extends { kind: infer Kinds } ? (K extends Kinds ? E : never) : never;

const SCRIPT_USER = { user: "value", group: "value" } as const satisfies Fields<ScriptUser>;

const PROCESS_SCHEDULING = {
  nice: "number",
  rtPriority: "number",
  rlimitRttimeUs: "number",
  noSwap: "value",
  cpuAffinity: "number",
} as const satisfies Fields<ProcessScheduling>;

const LVS_SYNC_DAEMON = {
  interface: "value",
  instance: "value",
  syncId: "number",
  maxLen: "number",
  port: "number",
  ttl: "number",
  group: "ip",
} as const satisfies Fields<LvsSyncDaemon>;

const GLOBAL_DEFS = {
  routerId: "value",
  vrrpVersion: "number",
  garpMasterDelayS: "number",
  garpMasterRepeat: "number",
  garpMasterRefreshS: "number",
  garpMasterRefreshRepeat: "number",
  scriptUser: { record: SCRIPT_USER },
  enableScriptSecurity: "value",
  notificationEmail: "value",
  notificationEmailFrom: "value",
  smtpServer: { record: { host: "value", port: "number" } },
  smtpConnectTimeoutS: "number",
  apiListen: "value",
  apiTokenFile: "value",
  apiTlsCertificate: "value",
  apiTlsKey: "value",
  apiReadsNeedToken: "value",
  vrrpProcess: { record: PROCESS_SCHEDULING },
  checkerProcess: { record: PROCESS_SCHEDULING },
  historyMaxAgeDays: "number",
  historyMaxEvents: "number",
  lvsSyncDaemon: { record: LVS_SYNC_DAEMON },
  lvsTimeouts: { record: { tcpS: "number", tcpFinS: "number", udpS: "number" } },
  lvsFlush: "value",
  lvsFlushOnStop: "value",
  rsInitNotifies: "value",
  notifyFifo: "value",
  notifyFifoScript: "value",
  vrrpNotifyFifo: "value",
  vrrpNotifyFifoScript: "value",
  fifoWriteVrrpStatesOnReload: "value",
  lvsNotifyFifo: "value",
  lvsNotifyFifoScript: "value",
  realServerDrainTimeoutS: "number",
  ipvsSetSysctls: "value",
  vrrpStartupDelayS: "number",
  directorReadyTimeoutS: "number",
} as const satisfies Fields<GlobalDefs>;

const VRRP_SCRIPT = {
  name: "value",
  script: "value",
  intervalS: "number",
  timeoutS: "number",
  weight: "number",
  weightReverse: "value",
  rise: "number",
  fall: "number",
  user: { record: SCRIPT_USER },
  initFail: "value",
} as const satisfies Fields<VrrpScript>;

const TRACK_FILE = {
  name: "value",
  file: "value",
  weight: "number",
  weightReverse: "value",
  initFile: { record: { value: "number", overwrite: "value" } },
} as const satisfies Fields<VrrpTrackFile>;

const VIRTUAL_IP = {
  address: "ipv4",
  prefixLength: "number",
  broadcast: "ipv4",
  device: "value",
  scope: "value",
  label: "value",
} as const satisfies Fields<VirtualIp>;
const TRACK_REF = { name: "value", weight: "number", weightReverse: "value" } as const satisfies Fields<TrackRef> & Fields<TrackedInterface>;

const VRRP_INSTANCE = {
  name: "value",
  initialState: "value",
  interface: "value",
  vrid: "number",
  priority: "number",
  advertIntervalCs: "number",
  version: "number",
  auth: { record: { type: "value", password: "secret" } },
  virtualIps: { record: VIRTUAL_IP },
  virtualIpsExcluded: { record: VIRTUAL_IP },
  trackInterfaces: { record: TRACK_REF },
  trackScripts: { record: TRACK_REF },
  trackFiles: { record: TRACK_REF },
  preempt: "value",
  preemptDelayS: "number",
  fastPreempt: "value",
  unicastSrcIp: "ipv4",
  unicastPeers: "ipv4",
  mcastSrcIp: "ipv4",
  notify: "value",
  notifyMaster: "value",
  notifyBackup: "value",
  notifyFault: "value",
  notifyStop: "value",
  notifyDeleted: { record: { command: "value" } },
  garpMasterDelayS: "number",
  garpMasterRepeat: "number",
  garpMasterRefreshS: "number",
  garpMasterRefreshRepeat: "number",
  dontTrackPrimary: "value",
  useVmac: "value",
  smtpAlert: "value",
} as const satisfies Fields<VrrpInstance>;

const SYNC_GROUP = {
  name: "value",
  members: "value",
  notify: "value",
  notifyMaster: "value",
  notifyBackup: "value",
  notifyFault: "value",
  notifyStop: "value",
  smtpAlert: "value",
} as const satisfies Fields<VrrpSyncGroup>;

const GROUP_ENTRY = {
  range: { kind: "value", first: "ip", last: "ip", port: "number" },
  fwmark: { kind: "value", fwmark: "number", family: "number" },
} as const satisfies Variants<VirtualServerGroupEntry>;

const VIRTUAL_SERVER_GROUP = { name: "value", entries: { variants: GROUP_ENTRY } } as const satisfies Fields<VirtualServerGroup>;

const CHECKER_DEFAULTS = {
  connectTimeoutS: "number",
  retry: "number",
  delayBeforeRetryS: "number",
  delayLoopS: "number",
  warmupS: "number",
  alpha: "value",
} as const satisfies Fields<CheckerDefaults>;

const CHECKER_COMMON = {
  connectIp: "ip",
  connectPort: "number",
  bindTo: "ip",
  bindPort: "number",
  bindInterface: "value",
  connectTimeoutS: "number",
  retry: "number",
  delayBeforeRetryS: "number",
  delayLoopS: "number",
  warmupS: "number",
  alpha: "value",
  fwmark: "number",
} as const satisfies Fields<CheckerCommon>;
/** What every checker block adds to the connection options (an SMTP_CHECK host has only those). */
const CHECKER_BASE = { ...CHECKER_COMMON, rise: "number", fall: "number", delayJitterPercent: "number" } as const;

const HTTP_URL = {
  path: "value",
  digest: "value",
  statusCodes: { record: { from: "number", to: "number" } },
  virtualhost: "value",
  regex: "value",
  regexNoMatch: "value",
  regexOptions: "value",
  regexMinOffset: "number",
  regexMaxOffset: "number",
} as const satisfies Fields<HttpUrl>;
const HTTP_CHECKER = {
  ...CHECKER_BASE,
  kind: "value",
  urls: { record: HTTP_URL },
  virtualhost: "value",
  httpProtocol: "value",
  enableSni: "value",
  fastRecovery: "value",
  tlsVerify: "value",
  tlsExpiryWarnDays: "number",
} as const satisfies Fields<HttpChecker>;
const TCP_CHECKER = { ...CHECKER_BASE, kind: "value" } as const satisfies Fields<TcpChecker> & Fields<PingChecker>;
const SMTP_CHECKER = { ...CHECKER_BASE, kind: "value", heloName: "value", hosts: { record: CHECKER_COMMON } } as const satisfies Fields<SmtpChecker>;
const MISC_CHECKER = {
  ...CHECKER_BASE,
  kind: "value",
  path: "value",
  timeoutS: "number",
  dynamic: "value",
  user: { record: SCRIPT_USER },
} as const satisfies Fields<MiscChecker>;
const DNS_CHECKER = { ...CHECKER_BASE, kind: "value", type: "value", name: "value", requireAnswer: "value" } as const satisfies Fields<DnsChecker>;
const UDP_CHECKER = {
  ...CHECKER_BASE,
  kind: "value",
  payload: "value",
  requireReply: "value",
  minReplyLength: "number",
  maxReplyLength: "number",
} as const satisfies Fields<UdpChecker>;
const FILE_CHECKER = {
  ...CHECKER_BASE,
  kind: "value",
  trackFile: "value",
  dynamic: "value",
  weight: "number",
  weightReverse: "value",
} as const satisfies Fields<FileChecker>;

const CHECKERS = {
  HTTP_GET: HTTP_CHECKER,
  SSL_GET: HTTP_CHECKER,
  TCP_CHECK: TCP_CHECKER,
  SMTP_CHECK: SMTP_CHECKER,
  MISC_CHECK: MISC_CHECKER,
  DNS_CHECK: DNS_CHECKER,
  UDP_CHECK: UDP_CHECKER,
  PING_CHECK: TCP_CHECKER,
  FILE_CHECK: FILE_CHECKER,
} as const satisfies Variants<Checker>;

const TUNNEL = { type: "value", port: "number", checksum: "value" } as const satisfies Fields<TunnelOptions>;

const REAL_SERVER = {
  address: "ip",
  port: "number",
  weight: "number",
  inhibitOnFailure: "value",
  slowStartS: "number",
  notifyUp: "value",
  notifyDown: "value",
  lbKind: "value",
  tunnel: { record: TUNNEL },
  uthreshold: "number",
  lthreshold: "number",
  virtualhost: "value",
  checkDefaults: { record: CHECKER_DEFAULTS },
  checkers: { variants: CHECKERS },
} as const satisfies Fields<RealServer>;

const VIRTUAL_SERVER_KEY = {
  address: { kind: "value", address: "ip", port: "number" },
  fwmark: { kind: "value", fwmark: "number" },
  group: { kind: "value", group: "value" },
} as const satisfies Variants<VirtualServerKey>;

const SORRY_SERVER = {
  address: "ip",
  port: "number",
  lbKind: "value",
  tunnel: { record: TUNNEL },
  inhibitOnFailure: "value",
} as const satisfies Fields<SorryServer>;

const PERSISTENCE_GRANULARITY = {
  // An IPv4 granularity is a netmask, written and shown as a dotted quad.
  netmask: { kind: "value", netmask: "ipv4" },
  prefix: { kind: "value", prefixLength: "number" },
} as const satisfies Variants<PersistenceGranularity>;

const VIRTUAL_SERVER = {
  key: { variants: VIRTUAL_SERVER_KEY },
  family: "number",
  delayLoopS: "number",
  lbAlgo: "value",
  schedulerFlags: { record: { flag1: "value", flag2: "value", flag3: "value" } },
  onePacket: "value",
  lbKind: "value",
  tunnel: { record: TUNNEL },
  persistenceTimeoutS: "number",
  persistenceGranularity: { variants: PERSISTENCE_GRANULARITY },
  persistenceEngine: "value",
  protocol: "value",
  sorryServer: { record: SORRY_SERVER },
  quorum: "number",
  hysteresis: "number",
  quorumUp: "value",
  quorumDown: "value",
  alpha: "value",
  omega: "value",
  haSuspend: "value",
  inhibitOnFailure: "value",
  weight: "number",
  slowStartS: "number",
  virtualhost: "value",
  checkDefaults: { record: CHECKER_DEFAULTS },
  realServers: { record: REAL_SERVER },
} as const satisfies Fields<VirtualServer>;

const SSL_SETTINGS = { password: "secret", ca: "value", certificate: "value", key: "value" } as const satisfies Fields<SslSettings>;

/** The whole model, from the top: `{ record: CONFIG_FIELDS }` describes a Config. */
export const CONFIG_FIELDS = {
  globalDefs: { record: GLOBAL_DEFS },
  vrrpScripts: { record: VRRP_SCRIPT },
  trackFiles: { record: TRACK_FILE },
  vrrpInstances: { record: VRRP_INSTANCE },
  syncGroups: { record: SYNC_GROUP },
  virtualServerGroups: { record: VIRTUAL_SERVER_GROUP },
  virtualServers: { record: VIRTUAL_SERVER },
  ssl: { record: SSL_SETTINGS },
} as const satisfies Fields<Config>;
