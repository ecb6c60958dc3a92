import { describe, expect, test } from "bun:test";
import { parseArgs } from "../../../src/daemon/cli-args.ts";

describe("tandem command line", () => {
  test("the keepalived flags of Debian's unit and the interop harness mean the same", () => {
    const command = parseArgs(["--dont-fork", "-f", "/etc/k.conf", "-n", "-l", "-D", "-G", "-p", "/run/k.pid", "-r", "/run/v.pid", "-c", "/run/c.pid"]);
    expect(command.kind).toBe("run");
    if (command.kind !== "run") return;
    expect(command.options).toMatchObject({ configFile: "/etc/k.conf", dontFork: true, logConsole: true, logDetail: true, noSyslog: true, pidFile: "/run/k.pid" });
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
});
