// Namespace fixtures for src/net's root tests: two namespaces joined by a veth pair, with
// unique names, IPv6 off (a quiet wire for captures), and a destroy() for afterAll.
import { randomBytes } from "node:crypto";

export function run(argv: string[]): string {
  const result = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${result.exitCode}): ${result.stderr.toString().trim()}`);
  return result.stdout.toString();
}

// Namespaces still alive when the test process exits (a crash, a timeout, a forgotten
// afterAll) are deleted by an exit hook, so a failed run never leaves them behind.
const liveNamespaces = new Set<string>();
process.once("exit", () => {
  for (const name of liveNamespaces) Bun.spawnSync(["ip", "netns", "del", name], { stdout: "ignore", stderr: "ignore" });
});

export function uniqueNamespaceName(): string {
  return `tnet-${randomBytes(4).toString("hex")}`;
}

export function deleteNamespace(name: string): void {
  Bun.spawnSync(["ip", "netns", "del", name], { stdout: "ignore", stderr: "ignore" });
  liveNamespaces.delete(name);
}

export interface VethLan {
  a: string;
  b: string;
  /** Both ends are called eth0, each inside its own namespace. */
  interfaceName: "eth0";
  addressA: string;
  addressB: string;
  prefixLength: 24;
  macA: string;
  macB: string;
  ip(namespace: string, ...args: string[]): string;
  destroy(): void;
}

export function createVethLan(): VethLan {
  const a = uniqueNamespaceName();
  const b = uniqueNamespaceName();
  const lan: VethLan = {
    a,
    b,
    interfaceName: "eth0",
    addressA: "10.77.0.1",
    addressB: "10.77.0.2",
    prefixLength: 24,
    macA: "02:77:00:00:00:01",
    macB: "02:77:00:00:00:02",
    ip: (namespace, ...args) => run(["ip", "-n", namespace, ...args]),
    destroy() {
      deleteNamespace(a);
      deleteNamespace(b);
    },
  };
  try {
    for (const ns of [a, b]) {
      liveNamespaces.add(ns);
      run(["ip", "netns", "add", ns]);
      run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
      lan.ip(ns, "link", "set", "lo", "up");
    }
    // Created in A, then the peer moves to B keeping its index: A's eth0 is 3, B's is 2.
    // Distinct indexes matter: the kernel's linkwatch treats a carrier change as urgent only
    // when ifindex != iflink; with both ends at index 2 it delays them up to 1 s.
    lan.ip(a, "link", "add", "eth0", "address", lan.macA, "type", "veth", "peer", "name", "peer0", "address", lan.macB);
    lan.ip(a, "link", "set", "peer0", "netns", b, "name", "eth0");
    lan.ip(a, "addr", "add", `${lan.addressA}/24`, "dev", "eth0");
    lan.ip(b, "addr", "add", `${lan.addressB}/24`, "dev", "eth0");
    lan.ip(a, "link", "set", "eth0", "up");
    lan.ip(b, "link", "set", "eth0", "up");
  } catch (error) {
    lan.destroy();
    throw error;
  }
  return lan;
}

/** Starts tcpdump in a namespace and resolves once it is capturing. */
export async function startCapture(namespace: string, filter: string, count = 1) {
  const child = Bun.spawn(["ip", "netns", "exec", namespace, "tcpdump", "-l", "-c", String(count), "-nn", "-e", "-xx", "-i", "eth0", filter], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderrReader = child.stderr.getReader();
  let stderr = "";
  const decoder = new TextDecoder();
  const deadline = Date.now() + 5000;
  while (!stderr.includes("listening on")) {
    if (Date.now() > deadline) throw new Error(`tcpdump in ${namespace} did not start: ${stderr}`);
    const { value, done } = await stderrReader.read();
    if (done) throw new Error(`tcpdump in ${namespace} exited: ${stderr}`);
    stderr += decoder.decode(value);
  }
  stderrReader.releaseLock();
  return {
    /** The capture's text once tcpdump saw `count` packets (or timeoutMs passed). */
    async output(timeoutMs = 3000): Promise<string> {
      const timer = setTimeout(() => child.kill(), timeoutMs);
      const text = await new Response(child.stdout).text();
      clearTimeout(timer);
      return text;
    },
    stop: () => child.kill(),
  };
}

/** The bytes of the first packet in `tcpdump -xx` output (link-level header included). */
export function capturedBytes(tcpdumpOutput: string): Uint8Array {
  const hexLines = tcpdumpOutput.split("\n").filter((line) => /^\s+0x[0-9a-f]{4}:/.test(line));
  const digits = hexLines.map((line) => line.replace(/^\s+0x[0-9a-f]{4}:\s*/, "").replace(/\s+/g, "")).join("");
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}
