// Command-line parsing: Tandem's own subcommands plus keepalived 2.2.7's flags, so a
// systemd unit or script written for keepalived runs tandem by changing only the binary.
// Pure: argv in, a Command (or a usage error) out.
import { parseFingerprint } from "../../tls/index.ts";

export const DEFAULT_CONFIG_FILE = "/etc/keepalived/keepalived.conf";
export const DEFAULT_DB_FILE = "/var/lib/tandem/tandem.db";
/** api_listen's default (a tandem extension of global_defs). */
export const DEFAULT_API_LISTEN = "127.0.0.1:8080";

export interface RunOptions {
  configFile: string;
  /** keepalived -n: stay in the foreground. Without it tandem detaches like keepalived. */
  dontFork: boolean;
  logConsole: boolean;
  logDetail: boolean;
  noSyslog: boolean;
  logFacility: string | undefined;
  pidFile: string | undefined;
  vrrpOnly: boolean;
  checkOnly: boolean;
  /** -V: leave VRRP addresses in place when stopping. */
  dontReleaseVrrp: boolean;
  /** -X: drop VIPs on transition from signal (accepted; tandem always releases on stop unless -V). */
  releaseVips: boolean;
  dontReleaseIpvs: boolean;
  configId: string | undefined;
  dbFile: string;
  /** Flags accepted for compatibility that change nothing in tandem, for a start-up note. */
  ignored: string[];
}

/** `tandem state` / `tandem events` / `tandem ipvs`: clients of a running daemon's REST API. */
export interface ClientOptions {
  /** Base URL of the API; default from the config's api_listen, else http://127.0.0.1:8080. */
  apiUrl: string | undefined;
  configFile: string;
  json: boolean;
  /** events only: filters passed to GET /events. */
  query: Record<string, string>;
  /** --fingerprint: trust exactly the certificate with this SHA-256 (normalised "sha256:AB:..."). */
  fingerprint?: string;
  /** --cacert: verify the API's certificate against this CA file instead of the system's. */
  caFile?: string;
  /** --token-file: send its contents as the bearer token. */
  tokenFile?: string;
}

/** Default validity of `tandem tls-certificate`: ten years, as the box is pinned, not CA-trusted. */
export const DEFAULT_CERTIFICATE_DAYS = 3650;

/** `tandem tls-certificate`: make a self-signed certificate and key for the REST API. */
export interface TlsCertificateOptions {
  certFile: string;
  keyFile: string;
  /** The CN; the command defaults it to the host name. */
  name: string | undefined;
  dnsNames: string[];
  ipAddresses: string[];
  validDays: number;
  /** Replace existing files instead of refusing. */
  force: boolean;
}

export type Command =
  | { kind: "run"; options: RunOptions }
  | { kind: "state"; options: ClientOptions }
  | { kind: "events"; options: ClientOptions }
  | { kind: "ipvs"; options: ClientOptions }
  | { kind: "tls-certificate"; options: TlsCertificateOptions }
  | { kind: "check"; configFile: string; configId: string | undefined; logFile: string | undefined }
  /** Internal: the child that validates a posted keepalived.conf (validate-child-command.ts). */
  | { kind: "validate-child" }
  /** Internal: the daemon's VRRP engine and its observer, started by the supervisor. */
  | { kind: "engine" }
  | { kind: "observer" }
  | { kind: "director" }
  | { kind: "version" }
  | { kind: "help" }
  | { kind: "usage-error"; message: string };

interface FlagSpec {
  short?: string;
  long: string;
  /** "none": boolean flag; "required": takes a value; "optional": --long=VALUE or bare. */
  value: "none" | "required" | "optional";
  apply(options: RunOptions, value: string | undefined, state: ParseState): void;
}

interface ParseState {
  command?: "check" | "version" | "help";
  checkLogFile?: string;
  /** A flag tandem refuses (the first one given): the usage error to return. */
  refused?: string;
}

const ignore = (name: string) => (o: RunOptions) => void o.ignored.push(name);

/** keepalived's flags (keepalived --help, 2.2.7) and tandem's own long options. */
const FLAGS: FlagSpec[] = [
  { short: "f", long: "use-file", value: "required", apply: (o, v) => (o.configFile = v!) },
  { short: "P", long: "vrrp", value: "none", apply: (o) => (o.vrrpOnly = true) },
  { short: "C", long: "check", value: "none", apply: (o) => (o.checkOnly = true) },
  { short: "B", long: "no_bfd", value: "none", apply: ignore("--no_bfd") },
  { long: "all", value: "none", apply: ignore("--all") },
  { short: "l", long: "log-console", value: "none", apply: (o) => (o.logConsole = true) },
  { short: "D", long: "log-detail", value: "none", apply: (o) => (o.logDetail = true) },
  { short: "S", long: "log-facility", value: "required", apply: (o, v) => (o.logFacility = v) },
  { short: "G", long: "no-syslog", value: "none", apply: (o) => (o.noSyslog = true) },
  { short: "u", long: "umask", value: "required", apply: ignore("--umask") },
  { short: "X", long: "release-vips", value: "none", apply: (o) => (o.releaseVips = true) },
  { short: "V", long: "dont-release-vrrp", value: "none", apply: (o) => (o.dontReleaseVrrp = true) },
  { short: "I", long: "dont-release-ipvs", value: "none", apply: (o) => (o.dontReleaseIpvs = true) },
  { short: "R", long: "dont-respawn", value: "none", apply: ignore("--dont-respawn") },
  { short: "n", long: "dont-fork", value: "none", apply: (o) => (o.dontFork = true) },
  { short: "d", long: "dump-conf", value: "none", apply: ignore("--dump-conf") },
  { short: "p", long: "pid", value: "required", apply: (o, v) => (o.pidFile = v) },
  { short: "r", long: "vrrp_pid", value: "required", apply: ignore("--vrrp_pid") },
  { short: "c", long: "checkers_pid", value: "required", apply: ignore("--checkers_pid") },
  { short: "a", long: "address-monitoring", value: "none", apply: ignore("--address-monitoring") },
  { short: "b", long: "bfd_pid", value: "required", apply: ignore("--bfd_pid") },
  { short: "x", long: "snmp", value: "none", apply: ignore("--snmp") },
  { short: "A", long: "snmp-agent-socket", value: "required", apply: ignore("--snmp-agent-socket") },
  // keepalived -s NAME runs itself inside network namespace NAME. Tandem does not switch
  // namespaces: ignoring the flag would put the VIPs and adverts in the wrong one.
  { short: "s", long: "namespace", value: "required", apply: (_o, v, s) => (s.refused ??= namespaceRefusal(v!)) },
  { short: "m", long: "core-dump", value: "none", apply: ignore("--core-dump") },
  { short: "M", long: "core-dump-pattern", value: "optional", apply: ignore("--core-dump-pattern") },
  { short: "e", long: "all-config", value: "none", apply: ignore("--all-config") },
  { short: "i", long: "config-id", value: "required", apply: (o, v) => (o.configId = v) },
  { short: "t", long: "config-test", value: "optional", apply: (_o, v, s) => ((s.command = "check"), (s.checkLogFile = v)) },
  { short: "v", long: "version", value: "none", apply: (_o, _v, s) => (s.command ??= "version") },
  { short: "h", long: "help", value: "none", apply: (_o, _v, s) => (s.command = "help") },
  { long: "db", value: "required", apply: (o, v) => (o.dbFile = v!) },
];

/** `tandem` with no flags: what every flag leaves as it is (tests start from it too). */
export function defaultRunOptions(): RunOptions {
  return {
    configFile: DEFAULT_CONFIG_FILE,
    dontFork: false,
    logConsole: false,
    logDetail: false,
    noSyslog: false,
    logFacility: undefined,
    pidFile: undefined,
    vrrpOnly: false,
    checkOnly: false,
    dontReleaseVrrp: false,
    releaseVips: false,
    dontReleaseIpvs: false,
    configId: undefined,
    dbFile: DEFAULT_DB_FILE,
    ignored: [],
  };
}

/** Parse argv (without the program name). */
export function parseArgs(argv: readonly string[]): Command {
  const args = [...argv];
  let subcommand: string | undefined;
  if (args[0] !== undefined && !args[0].startsWith("-")) subcommand = args.shift();
  if (subcommand === "state" || subcommand === "events" || subcommand === "ipvs") return parseClientArgs(subcommand, args);
  if (subcommand === "tls-certificate") return parseTlsCertificateArgs(args);
  if (subcommand === "__validate-config")
    return args.length === 0 ? { kind: "validate-child" } : { kind: "usage-error", message: "__validate-config takes no arguments (it is internal)" };
  const internal = { __engine: "engine", __observer: "observer", __director: "director" } as const;
  if (subcommand === "__engine" || subcommand === "__observer" || subcommand === "__director") {
    return args.length === 0 ? { kind: internal[subcommand] } : { kind: "usage-error", message: `${subcommand} takes no arguments (it is internal)` };
  }
  if (subcommand !== undefined && !["run", "check", "version", "help"].includes(subcommand)) {
    return {
      kind: "usage-error",
      message: `unknown command "${subcommand}"; expected run, check, state, events, ipvs, tls-certificate, version or help (see tandem --help)`,
    };
  }
  const options = defaultRunOptions();
  const state: ParseState = {};
  // tandem run is the command people type by hand: foreground, logging to the console.
  if (subcommand === "run") {
    options.dontFork = true;
    options.logConsole = true;
  }

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("--")) {
      const [name, inline] = splitLong(arg.slice(2));
      const flag = FLAGS.find((f) => f.long === name);
      if (!flag) return { kind: "usage-error", message: `unknown option --${name} (see tandem --help)` };
      let value = inline;
      if (flag.value === "none" && inline !== undefined) return { kind: "usage-error", message: `option --${name} takes no value` };
      if (flag.value === "required" && value === undefined) {
        value = args[++i];
        if (value === undefined) return { kind: "usage-error", message: `option --${name} needs a value` };
      }
      flag.apply(options, value, state);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // Bundled short flags: -nlD, -fFILE, -f FILE.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const flag = FLAGS.find((f) => f.short === letter);
        if (!flag) return { kind: "usage-error", message: `unknown option -${letter} (see tandem --help)` };
        if (flag.value === "none") {
          flag.apply(options, undefined, state);
          continue;
        }
        const rest = arg.slice(j + 1);
        let value: string | undefined = rest.length > 0 ? rest : undefined;
        if (value === undefined && flag.value === "required") {
          value = args[++i];
          if (value === undefined) return { kind: "usage-error", message: `option -${letter} needs a value` };
        }
        flag.apply(options, value, state);
        break;
      }
      continue;
    }
    return { kind: "usage-error", message: `unexpected argument "${arg}" (see tandem --help)` };
  }

  if (state.refused) return { kind: "usage-error", message: state.refused };
  const command = subcommand === "run" ? "run" : (subcommand ?? state.command ?? "run");
  switch (command) {
    case "help":
      return { kind: "help" };
    case "version":
      return { kind: "version" };
    case "check":
      return { kind: "check", configFile: options.configFile, configId: options.configId, logFile: state.checkLogFile };
    default:
      if (options.vrrpOnly && options.checkOnly) return { kind: "usage-error", message: "--vrrp and --check exclude each other" };
      return { kind: "run", options };
  }
}

function namespaceRefusal(name: string): string {
  return `-s/--namespace is not supported: tandem does not switch network namespaces itself; run it inside the namespace instead: ip netns exec ${name} tandem ... (without -s)`;
}

export type ClientCommandName = "state" | "events" | "ipvs";

const EVENT_FILTERS = ["since", "until", "kind", "instance", "limit", "cursor", "order"];

function parseClientArgs(command: ClientCommandName, args: string[]): Command {
  const options: ClientOptions = { apiUrl: undefined, configFile: DEFAULT_CONFIG_FILE, json: false, query: {} };
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = splitLong(args[i]!.replace(/^--?/, ""));
    const value = () => inline ?? args[++i];
    if (name === "json") options.json = true;
    else if (CLIENT_VALUE_OPTIONS.includes(name) || (command === "events" && EVENT_FILTERS.includes(name))) {
      const v = value();
      if (v === undefined) return { kind: "usage-error", message: `option --${name} needs a value` };
      if (name === "api") options.apiUrl = v;
      else if (name === "f" || name === "use-file") options.configFile = v;
      else if (name === "cacert") options.caFile = v;
      else if (name === "token-file") options.tokenFile = v;
      else if (name === "fingerprint") {
        const parsed = parseFingerprint(v);
        if (!parsed.ok) return { kind: "usage-error", message: `--fingerprint: ${parsed.message}` };
        options.fingerprint = parsed.fingerprint;
      } else options.query[name === "since" ? "sinceMs" : name === "until" ? "untilMs" : name] = v;
    } else return { kind: "usage-error", message: `unknown option ${args[i]} for tandem ${command} (see tandem --help)` };
  }
  // A pin already says exactly which certificate to trust; a CA on top would only blur that.
  if (options.fingerprint && options.caFile)
    return { kind: "usage-error", message: "--fingerprint and --cacert exclude each other: pin the certificate or name its CA" };
  return { kind: command, options };
}

const CLIENT_VALUE_OPTIONS = ["api", "f", "use-file", "fingerprint", "cacert", "token-file"];

function parseTlsCertificateArgs(args: string[]): Command {
  const options: TlsCertificateOptions = {
    certFile: "",
    keyFile: "",
    name: undefined,
    dnsNames: [],
    ipAddresses: [],
    validDays: DEFAULT_CERTIFICATE_DAYS,
    force: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) return { kind: "usage-error", message: `unexpected argument "${arg}" for tandem tls-certificate (see tandem --help)` };
    const [name, inline] = splitLong(arg.slice(2));
    if (name === "force") {
      if (inline !== undefined) return { kind: "usage-error", message: "option --force takes no value" };
      options.force = true;
      continue;
    }
    if (!["cert", "key", "name", "dns", "ip", "days"].includes(name))
      return { kind: "usage-error", message: `unknown option --${name} for tandem tls-certificate (see tandem --help)` };
    const value = inline ?? args[++i];
    if (value === undefined || value === "") return { kind: "usage-error", message: `option --${name} needs a value` };
    if (name === "cert") options.certFile = value;
    else if (name === "key") options.keyFile = value;
    else if (name === "name") options.name = value;
    else if (name === "dns") options.dnsNames.push(value);
    else if (name === "ip") options.ipAddresses.push(value);
    else {
      if (!/^[1-9][0-9]*$/.test(value)) return { kind: "usage-error", message: `--days must be a whole number of days, got "${value}"` };
      options.validDays = Number(value);
    }
  }
  if (!options.certFile || !options.keyFile) return { kind: "usage-error", message: "tandem tls-certificate needs --cert FILE and --key FILE" };
  if (options.certFile === options.keyFile) return { kind: "usage-error", message: "--cert and --key must be different files" };
  return { kind: "tls-certificate", options };
}

function splitLong(text: string): [string, string | undefined] {
  const eq = text.indexOf("=");
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

export const USAGE = `Usage: tandem [COMMAND] [OPTIONS]

Commands:
  run -f FILE            run the daemon in the foreground, logging to the console
  check -f FILE          validate FILE; prints file:line:col diagnostics; exit 0 ok, 4 errors
  state [--api URL]      the running daemon's instances, as a table (--json for JSON)
  events [--since T] [--kind K] [--instance I] [--limit N] [--cursor C] [--api URL]
                         the event history, newest first (--json for JSON)
  ipvs [--api URL]       the IPVS director's table as ipvsadm -Ln shows it, with each real
                         server's desired weight and health (--json for JSON)
    state, events and ipvs also take:
      -f FILE            read api_listen, api_tls_certificate and api_token_file from FILE
      --fingerprint FP   trust an https API whose certificate has this SHA-256 fingerprint
                         (sha256:AB:CD:..., as tls-certificate and first-boot print it)
      --cacert FILE      verify the API's certificate against the CA certificate(s) in FILE
      --token-file FILE  send the token in FILE as Authorization: Bearer
  tls-certificate --cert FILE --key FILE [--name NAME] [--dns NAME]... [--ip ADDR]...
                  [--days N] [--force]
                         make a self-signed ECDSA P-256 certificate for the REST API: the key
                         (mode 0600) and certificate (0644); prints its fingerprint. NAME (the
                         CN, default the host name) is also a DNS name; --days default ${DEFAULT_CERTIFICATE_DAYS};
                         existing files are kept unless --force
  version                print the version
  help                   this text

keepalived-compatible options (a keepalived unit runs tandem unchanged):
  -f, --use-file=FILE    configuration file (default ${DEFAULT_CONFIG_FILE})
  -n, --dont-fork        stay in the foreground (without it tandem detaches)
  -l, --log-console      log to the console (stderr) as well as syslog
  -D, --log-detail       detailed logging
  -G, --no-syslog        do not log to syslog (/dev/log)
  -S, --log-facility=F   syslog facility: 0-7 or local0-7 (LOG_LOCALn), user, daemon (default)
  -P, --vrrp             VRRP only (no IPVS director or health checks)
  -C, --check            IPVS director (and health checks) only: no VRRP
  -p, --pid=FILE         pid file
  -V, --dont-release-vrrp  leave VIPs in place on stop
  -X, --release-vips     accepted (tandem always releases VIPs it holds on stop)
  -t, --config-test[=LOG_FILE]  same as 'tandem check'
  -i, --config-id=ID     id matched by @ID configuration lines (default: host name)
  -v, --version          print the version
  -h, --help             this text
  Accepted and ignored: -B -R -r -c -b -a -d -x -A -m -M -u -e --all
  Refused: -s/--namespace (run tandem under 'ip netns exec NAME' instead)

Tandem options:
  --db=FILE              event history database (default ${DEFAULT_DB_FILE})
`;
