import { describe, expect, test } from "bun:test";
import { USAGE, parseArgs } from "../../../../src/daemon/cli/cli-args.ts";

describe("tandem command line", () => {
  test("the keepalived flags of Debian's unit and the interop harness mean the same", () => {
    const command = parseArgs(["--dont-fork", "-f", "/etc/k.conf", "-n", "-l", "-D", "-G", "-p", "/run/k.pid", "-r", "/run/v.pid", "-c", "/run/c.pid"]);
    expect(command.kind).toBe("run");
    if (command.kind !== "run") return;
    expect(command.options).toMatchObject({
      configFile: "/etc/k.conf",
      dontFork: true,
      logConsole: true,
      logDetail: true,
      noSyslog: true,
      pidFile: "/run/k.pid",
    });
    expect(command.options.ignored).toEqual(["--vrrp_pid", "--checkers_pid"]);
  });

  test("bundled short flags and glued values", () => {
    const command = parseArgs(["-nlD", "-f/tmp/x.conf", "-P"]);
    expect(command).toMatchObject({ kind: "run", options: { dontFork: true, logConsole: true, logDetail: true, configFile: "/tmp/x.conf", vrrpOnly: true } });
  });

  test("subcommands", () => {
    expect(parseArgs(["run", "-f", "a.conf"])).toMatchObject({ kind: "run", options: { configFile: "a.conf", dontFork: true, logConsole: true } });
    expect(parseArgs(["check", "-f", "a.conf"])).toEqual({ kind: "check", configFile: "a.conf", configId: undefined, logFile: undefined });
    expect(parseArgs(["version"])).toEqual({ kind: "version" });
    expect(parseArgs(["--help"])).toEqual({ kind: "help" });
  });

  test("-t is keepalived's config test; --config-test=FILE logs there", () => {
    expect(parseArgs(["-t", "-f", "b.conf"])).toMatchObject({ kind: "check", configFile: "b.conf" });
    expect(parseArgs(["--config-test=/tmp/log", "-f", "b.conf"])).toMatchObject({ kind: "check", logFile: "/tmp/log" });
  });

  test("without -n a keepalived-style start detaches; tandem run stays in the foreground", () => {
    expect(parseArgs(["-f", "x"])).toMatchObject({ kind: "run", options: { dontFork: false } });
    expect(parseArgs(["run"])).toMatchObject({ kind: "run", options: { dontFork: true } });
  });

  test("bad command lines get a clear message", () => {
    expect(parseArgs(["-q"])).toEqual({ kind: "usage-error", message: "unknown option -q (see tandem --help)" });
    expect(parseArgs(["--bogus"])).toEqual({ kind: "usage-error", message: "unknown option --bogus (see tandem --help)" });
    expect(parseArgs(["-f"])).toEqual({ kind: "usage-error", message: "option -f needs a value" });
    expect(parseArgs(["frobnicate"])).toMatchObject({ kind: "usage-error" });
    expect(parseArgs(["--dont-fork=yes"])).toEqual({ kind: "usage-error", message: "option --dont-fork takes no value" });
    expect(parseArgs(["-P", "-C"])).toMatchObject({ kind: "usage-error" });
  });

  test("-s/--namespace is refused with the ip netns exec way to do it, never silently ignored", () => {
    const message =
      "-s/--namespace is not supported: tandem does not switch network namespaces itself; run it inside the namespace instead: ip netns exec blue tandem ... (without -s)";
    for (const argv of [
      ["-s", "blue"],
      ["-sblue"],
      ["--namespace", "blue"],
      ["--namespace=blue"],
      ["-n", "-f", "/etc/k.conf", "-s", "blue", "-l"],
      ["run", "-s", "blue"],
      ["-t", "-s", "blue"],
    ]) {
      expect({ argv, command: parseArgs(argv) }).toEqual({ argv, command: { kind: "usage-error", message } });
    }
    expect(parseArgs(["-s"])).toEqual({ kind: "usage-error", message: "option -s needs a value" });
    expect(USAGE).toContain("-s/--namespace");
  });

  test("state and events are API clients with their own options", () => {
    expect(parseArgs(["state", "--api", "http://10.0.0.1:8080", "--json"])).toEqual({
      kind: "state",
      options: { apiUrl: "http://10.0.0.1:8080", configFile: "/etc/keepalived/keepalived.conf", json: true, query: {} },
    });
    expect(parseArgs(["events", "--since=2026-11-26T00:00:00Z", "--kind", "vrrp.transition", "--limit", "5", "-f", "/etc/k.conf"])).toMatchObject({
      kind: "events",
      options: { configFile: "/etc/k.conf", query: { sinceMs: "2026-11-26T00:00:00Z", kind: "vrrp.transition", limit: "5" } },
    });
    expect(parseArgs(["events", "--cursor", "ZTEuZC4y"])).toMatchObject({ kind: "events", options: { query: { cursor: "ZTEuZC4y" } } });
    expect(parseArgs(["state", "--kind", "x"])).toMatchObject({ kind: "usage-error" });
    expect(parseArgs(["events", "--limit"])).toEqual({ kind: "usage-error", message: "option --limit needs a value" });
  });

  test("state and events take --fingerprint (normalised), --cacert and --token-file", () => {
    const pairs = "ab:".repeat(31) + "ab";
    expect(parseArgs(["state", "--fingerprint", pairs, "--token-file", "/var/lib/tandem/api-token"])).toEqual({
      kind: "state",
      options: {
        apiUrl: undefined,
        configFile: "/etc/keepalived/keepalived.conf",
        json: false,
        query: {},
        fingerprint: `sha256:${pairs.toUpperCase()}`,
        tokenFile: "/var/lib/tandem/api-token",
      },
    });
    expect(parseArgs(["events", `--fingerprint=${"CD".repeat(32)}`, "--limit", "3"])).toMatchObject({
      kind: "events",
      options: { fingerprint: `sha256:${"CD:".repeat(31)}CD`, query: { limit: "3" } },
    });
    expect(parseArgs(["events", "--cacert=/etc/ssl/lab-ca.pem", "--api", "https://box:8080"])).toMatchObject({
      kind: "events",
      options: { caFile: "/etc/ssl/lab-ca.pem", apiUrl: "https://box:8080" },
    });
  });

  test("client TLS mistakes are usage errors", () => {
    expect(parseArgs(["state", "--fingerprint", "AB:CD"])).toEqual({
      kind: "usage-error",
      message: '--fingerprint: fingerprint "AB:CD" has 4 hex digits; a SHA-256 fingerprint has 64 (32 bytes)',
    });
    expect(parseArgs(["state", "--fingerprint", `sha1:${"00:".repeat(19)}00`])).toMatchObject({
      kind: "usage-error",
      message: expect.stringContaining("uses sha1"),
    });
    expect(parseArgs(["state", "--fingerprint", "00".repeat(32), "--cacert", "ca.pem"])).toMatchObject({
      kind: "usage-error",
      message: expect.stringContaining("exclude each other"),
    });
    expect(parseArgs(["state", "--token-file"])).toEqual({ kind: "usage-error", message: "option --token-file needs a value" });
    expect(parseArgs(["state", "--insecure"])).toMatchObject({ kind: "usage-error" });
  });

  test("tls-certificate: files, repeated names and addresses, days, force", () => {
    expect(
      parseArgs([
        "tls-certificate",
        "--cert",
        "c.pem",
        "--key=k.pem",
        "--name",
        "tandem-a",
        "--dns",
        "a.example",
        "--dns=b.example",
        "--ip",
        "10.0.0.1",
        "--ip",
        "::1",
        "--days",
        "30",
        "--force",
      ]),
    ).toEqual({
      kind: "tls-certificate",
      options: {
        certFile: "c.pem",
        keyFile: "k.pem",
        name: "tandem-a",
        dnsNames: ["a.example", "b.example"],
        ipAddresses: ["10.0.0.1", "::1"],
        validDays: 30,
        force: true,
      },
    });
    expect(parseArgs(["tls-certificate", "--cert", "c.pem", "--key", "k.pem"])).toEqual({
      kind: "tls-certificate",
      options: { certFile: "c.pem", keyFile: "k.pem", name: undefined, dnsNames: [], ipAddresses: [], validDays: 3650, force: false },
    });
  });

  test("tls-certificate mistakes are usage errors", () => {
    expect(parseArgs(["tls-certificate", "--cert", "c.pem"])).toEqual({
      kind: "usage-error",
      message: "tandem tls-certificate needs --cert FILE and --key FILE",
    });
    expect(parseArgs(["tls-certificate", "--cert", "x", "--key", "x"])).toEqual({ kind: "usage-error", message: "--cert and --key must be different files" });
    expect(parseArgs(["tls-certificate", "--cert", "c", "--key", "k", "--days", "ten"])).toEqual({
      kind: "usage-error",
      message: '--days must be a whole number of days, got "ten"',
    });
    expect(parseArgs(["tls-certificate", "--cert", "c", "--key", "k", "--days", "0"])).toMatchObject({ kind: "usage-error" });
    expect(parseArgs(["tls-certificate", "--cert", "c", "--key", "k", "--force=yes"])).toEqual({
      kind: "usage-error",
      message: "option --force takes no value",
    });
    expect(parseArgs(["tls-certificate", "--cert", "c", "--key", "k", "--ca"])).toEqual({
      kind: "usage-error",
      message: "unknown option --ca for tandem tls-certificate (see tandem --help)",
    });
    expect(parseArgs(["tls-certificate", "--cert", "c", "--key", "k", "extra"])).toMatchObject({ kind: "usage-error" });
    expect(parseArgs(["tls-certificate", "--cert", "c", "--key", "k", "--ip"])).toEqual({ kind: "usage-error", message: "option --ip needs a value" });
  });

  test("the usage text names the new command and options", () => {
    expect(USAGE).toContain("tls-certificate --cert FILE --key FILE");
    for (const option of ["--fingerprint FP", "--cacert FILE", "--token-file FILE"]) expect(USAGE).toContain(option);
  });
});
