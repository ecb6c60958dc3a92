// Test helper: a strict reader of `ipvsadm -Sn` lines, the save format ipvsadm 1.31 prints (and
// `ipvsadm -R` reads), for the keepalived reference tables in test/fixtures/ipvs-keepalived/.
// It knows every option ipvsadm prints there and refuses anything else, so a fixture that is
// not a table (or a renderer's slip) shows up as a reason, not as a silent mismatch.
import { parseIpAddress, type IpAddress, type IpFamily } from "../../../../src/common/ip-address.ts";

/** How ipvsadm names the service in both its lines: "-t 10.0.0.1:80", "-f 2 -6". */
export type SavedServiceName = string;

export interface SavedService {
  line: "service";
  name: SavedServiceName;
  protocol: "tcp" | "udp" | "sctp" | "fwmark";
  family: IpFamily;
  address?: IpAddress;
  port?: number;
  fwmark?: number;
  scheduler: string;
  /** `-b`, as printed: flag-1..3, sh-port, sh-fallback, mh-port, mh-fallback. */
  schedulerFlags: string[];
  onePacket: boolean;
  persistenceTimeoutS?: number;
  /** `-M`: a dotted netmask (IPv4) or a prefix length (IPv6). */
  persistenceMask?: string;
  persistenceEngine?: string;
}

export interface SavedDestination {
  line: "destination";
  service: SavedServiceName;
  address: IpAddress;
  port: number;
  forward: "masquerade" | "direct-route" | "tunnel";
  weight: number;
  tunnelType?: "ipip" | "gue" | "gre";
  tunnelPort?: number;
  tunnelChecksum?: "nocsum" | "csum" | "remcsum";
}

export type SavedLine = SavedService | SavedDestination;

const PROTOCOL_OPTIONS: Record<string, SavedService["protocol"]> = { "-t": "tcp", "-u": "udp", "--sctp-service": "sctp" };
const FORWARD_OPTIONS: Record<string, SavedDestination["forward"]> = { "-m": "masquerade", "-g": "direct-route", "-i": "tunnel" };
const SCHEDULER_FLAGS = new Set(["flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback", "mh-port", "mh-fallback"]);

class SaveLineError extends Error {}
const fail = (reason: string): never => {
  throw new SaveLineError(reason);
};

function integer(text: string | undefined, what: string, max: number): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) > max) return fail(`${what} must be an integer 0..${max}, got ${text ?? "nothing"}`);
  return Number(text);
}

/** "10.0.0.1:80" or "[fd00::1]:80", as ipvsadm prints them (its text must be the canonical one). */
function endpoint(text: string | undefined, what: string): { address: IpAddress; port: number } {
  const match = text === undefined ? null : /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):(\d+)$/.exec(text);
  if (!match) return fail(`${what} must be ADDRESS:PORT or [ADDRESS]:PORT, got ${text ?? "nothing"}`);
  const written = (match[1] ?? match[2])!;
  const address = parseIpAddress(written);
  if (!address || address.text !== written) return fail(`${what} ${written} is not an address in canonical form`);
  if (match[1] !== undefined && address.family !== 6) return fail(`${what} ${written} is in brackets but is not IPv6`);
  return { address, port: integer(match[3], `${what}'s port`, 65535) };
}

/** The service's name at the head of both kinds of line; consumes its tokens. */
function serviceName(tokens: string[]): Pick<SavedService, "name" | "protocol" | "family" | "address" | "port" | "fwmark"> {
  const option = tokens.shift();
  if (option === "-f") {
    const fwmark = integer(tokens.shift(), "a firewall mark", 4294967295);
    const family = tokens[0] === "-6" ? 6 : 4;
    if (family === 6) tokens.shift();
    return { name: `-f ${fwmark}${family === 6 ? " -6" : ""}`, protocol: "fwmark", family, fwmark };
  }
  const protocol = option === undefined ? undefined : PROTOCOL_OPTIONS[option];
  if (!protocol) return fail(`a service starts with -t, -u, --sctp-service or -f, got ${option ?? "nothing"}`);
  const text = tokens.shift();
  const { address, port } = endpoint(text, "the virtual address");
  return { name: `${option} ${text}`, protocol, family: address.family, address, port };
}

function serviceLine(tokens: string[]): SavedService {
  const service: SavedService = { line: "service", ...serviceName(tokens), scheduler: "", schedulerFlags: [], onePacket: false };
  while (tokens.length) {
    const option = tokens.shift()!;
    if (option === "-s") service.scheduler = /^[a-z]+$/.test(tokens[0] ?? "") ? tokens.shift()! : fail(`-s needs a scheduler name, got ${tokens[0]}`);
    else if (option === "-o") service.onePacket = true;
    else if (option === "-b") {
      service.schedulerFlags = (tokens.shift() ?? "").split(",");
      for (const flag of service.schedulerFlags) if (!SCHEDULER_FLAGS.has(flag)) fail(`-b: unknown scheduler flag ${flag}`);
    } else if (option === "-p") service.persistenceTimeoutS = integer(tokens.shift(), "-p", 4294967295);
    else if (option === "-M") {
      const mask = tokens.shift();
      const valid = service.family === 4 ? parseIpAddress(mask ?? "")?.family === 4 : /^\d+$/.test(mask ?? "") && Number(mask) <= 128;
      service.persistenceMask = valid ? mask : fail(`-M must be a${service.family === 4 ? " dotted netmask" : "n IPv6 prefix length"}, got ${mask}`);
    } else if (option === "--pe") service.persistenceEngine = tokens.shift() ?? fail("--pe needs a name");
    else fail(`unknown service option ${option}`);
  }
  if (!service.scheduler) fail("a service line needs -s SCHEDULER");
  if (service.persistenceMask !== undefined && service.persistenceTimeoutS === undefined) fail("-M without -p");
  return service;
}

function destinationLine(tokens: string[]): SavedDestination {
  const service = serviceName(tokens).name;
  if (tokens.shift() !== "-r") fail("a destination line needs -r after its service");
  const { address, port } = endpoint(tokens.shift(), "the real server");
  const forwardOption = tokens.shift();
  const forward = forwardOption === undefined ? undefined : FORWARD_OPTIONS[forwardOption];
  if (!forward) return fail(`-r ADDRESS:PORT is followed by -m, -g or -i, got ${forwardOption ?? "nothing"}`);
  if (tokens.shift() !== "-w") fail("a destination line needs -w WEIGHT after its forwarding method");
  const destination: SavedDestination = { line: "destination", service, address, port, forward, weight: integer(tokens.shift(), "-w", 65535) };
  while (tokens.length) {
    const option = tokens.shift()!;
    if (option === "--tun-type") {
      const type = tokens.shift();
      destination.tunnelType = type === "ipip" || type === "gue" || type === "gre" ? type : fail(`--tun-type must be ipip, gue or gre, got ${type}`);
    } else if (option === "--tun-port") destination.tunnelPort = integer(tokens.shift(), "--tun-port", 65535);
    else if (option === "--tun-nocsum" || option === "--tun-csum" || option === "--tun-remcsum")
      destination.tunnelChecksum = option.slice("--tun-".length) as SavedDestination["tunnelChecksum"];
    else fail(`unknown destination option ${option}`);
  }
  if ((destination.tunnelType !== undefined) !== (forward === "tunnel")) fail("--tun-type goes with -i, and -i with --tun-type");
  if ((destination.tunnelPort !== undefined) !== (destination.tunnelType === "gue")) fail("--tun-port goes with a gue tunnel only");
  return destination;
}

/** One `ipvsadm -Sn` line, or why it is not one. */
export function parseSaveLine(line: string): SavedLine | { error: string } {
  const tokens = line.split(" ");
  if (tokens.some((t) => t === "")) return { error: "fields are separated by single spaces" };
  const kind = tokens.shift();
  try {
    if (kind === "-A") return serviceLine(tokens);
    if (kind === "-a") return destinationLine(tokens);
    return { error: `a line starts with -A (service) or -a (destination), got ${kind}` };
  } catch (error) {
    if (error instanceof SaveLineError) return { error: error.message };
    throw error;
  }
}
