// The image tier's network: a bridge inside a network namespace the test creates, with a
// tap per guest and a veth to a client namespace (10.98.0.99/24). tcpdump on the bridge
// records every ARP frame, so failovers are seen from outside the guests as the new
// master's gratuitous ARP. Nothing here touches any other network.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "./guest.ts";

export const CLIENT_ADDRESS = "10.98.0.99/24";

export function sh(argv: string[], check = true): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (check && r.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

export class PrivateL2 {
  readonly net = `tl2${process.pid}`; // the bridge's namespace
  readonly client = `tl2c${process.pid}`; // the client's namespace
  readonly arpLog: string;
  private tcpdump: ReturnType<typeof Bun.spawn> | undefined;

  constructor(dir: string) {
    this.arpLog = join(dir, "tcpdump-arp.txt");
  }

  /** Creates the namespaces, the bridge, one tap per name, the client, and starts tcpdump. */
  async up(taps: string[]): Promise<void> {
    sh(["ip", "netns", "add", this.net]);
    sh(["ip", "netns", "add", this.client]);
    const n = (...args: string[]) => sh(["ip", "-n", this.net, ...args]);
    n("link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0", "forward_delay", "0");
    for (const tap of taps) {
      n("tuntap", "add", tap, "mode", "tap");
      n("link", "set", tap, "master", "br0", "up");
    }
    n("link", "add", "vc", "type", "veth", "peer", "name", "eth0", "netns", this.client);
    n("link", "set", "vc", "master", "br0", "up");
    n("link", "set", "br0", "up");
    sh(["ip", "-n", this.client, "link", "set", "lo", "up"]);
    sh(["ip", "-n", this.client, "addr", "add", CLIENT_ADDRESS, "dev", "eth0"]);
    sh(["ip", "-n", this.client, "link", "set", "eth0", "up"]);
    this.tcpdump = Bun.spawn(["ip", "netns", "exec", this.net, "tcpdump", "-i", "br0", "-n", "-e", "-l", "-U", "arp"], {
      stdin: "ignore",
      stdout: Bun.file(this.arpLog),
      stderr: "pipe",
    });
    await sleep(300); // tcpdump attaches
  }

  /** Stops tcpdump and deletes both namespaces (the taps and veth go with them). */
  async down(): Promise<void> {
    if (this.tcpdump && this.tcpdump.exitCode === null) {
      this.tcpdump.kill("SIGKILL");
      await this.tcpdump.exited;
    }
    sh(["ip", "netns", "del", this.net], false);
    sh(["ip", "netns", "del", this.client], false);
  }

  arpText = (): string => (existsSync(this.arpLog) ? readFileSync(this.arpLog, "utf8") : "");

  /** Senders (MACs) of the gratuitous ARPs for `vip` seen on the bridge, in order. */
  garps(vip: string): string[] {
    // "52:54:00:98:00:12 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.98.0.41 (ff:ff:ff:ff:ff:ff) tell 10.98.0.41, length 28"
    const v = vip.replaceAll(".", "\\.");
    const re = new RegExp(`^\\S+ (\\S+) > ff:ff:ff:ff:ff:ff.*who-has ${v} (?:\\(\\S+\\) )?tell ${v}\\b`, "gm");
    return [...this.arpText().matchAll(re)].map((m) => m[1] ?? "");
  }

  /**
   * An HTTP(S) request from the client namespace (curl); the status and body. `cacert`
   * trusts a box's own certificate (its SAN has the box's address); `insecure` is for a box
   * whose certificate first boot made, after its fingerprint was checked with tandem state.
   */
  async http(
    url: string,
    options: { method?: string; token?: string; timeoutS?: number; cacert?: string; insecure?: boolean } = {},
  ): Promise<{ status: number; body: string }> {
    const argv = [
      "ip",
      "netns",
      "exec",
      this.client,
      "curl",
      "-s",
      "--max-time",
      String(options.timeoutS ?? 2),
      "-o",
      "-",
      "-w",
      "\n%{http_code}",
      "-X",
      options.method ?? "GET",
    ];
    if (options.token) argv.push("-H", `Authorization: Bearer ${options.token}`);
    if (options.cacert) argv.push("--cacert", options.cacert);
    if (options.insecure) argv.push("--insecure");
    const r = Bun.spawn([...argv, url], { stdout: "pipe", stderr: "ignore" });
    const out = await new Response(r.stdout).text();
    await r.exited;
    const cut = out.lastIndexOf("\n");
    return { status: Number(out.slice(cut + 1)) || 0, body: out.slice(0, cut) };
  }

  /**
   * Which box answers on `vip` as the client sees it: the MAC its neighbour entry resolves
   * to once the client has sent it something (a TCP SYN to a closed port: the holder
   * answers with a reset; the API listens on each box's own address, not on the VIPs),
   * mapped to a box by `macs`.
   */
  async owner(vip: string, macs: Readonly<Record<string, string>>): Promise<{ box: string | undefined; mac: string | undefined }> {
    const poke = Bun.spawn(["ip", "netns", "exec", this.client, "curl", "-s", "-o", "/dev/null", "--max-time", "1", `http://${vip}:9/`], {
      stdout: "ignore",
      stderr: "ignore",
    });
    await poke.exited;
    const entry = sh(["ip", "-n", this.client, "neigh", "show", vip], false);
    const mac = /FAILED|INCOMPLETE/.test(entry) ? undefined : entry.match(/lladdr (\S+)/)?.[1];
    return { box: mac ? macs[mac] : undefined, mac };
  }
}
