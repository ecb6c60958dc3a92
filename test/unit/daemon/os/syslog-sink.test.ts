import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../../../src/common/clock.ts";
import { formatSyslogLine, parseFacility, syslogSink } from "../../../../src/daemon/os/syslog-sink.ts";

describe("syslog sink", () => {
  test("facilities as keepalived -S takes them", () => {
    expect(parseFacility(undefined)).toBe(3);
    expect(parseFacility("daemon")).toBe(3);
    expect(parseFacility("user")).toBe(1);
    expect(parseFacility("0")).toBe(16);
    expect(parseFacility("local7")).toBe(23);
    expect(parseFacility("local8")).toBeUndefined();
    expect(parseFacility("kern")).toBeUndefined();
  });

  test("RFC 3164 line: priority = facility x 8 + severity, BSD timestamp, tag with pid", () => {
    const line = formatSyslogLine(3, "warn", new Date(2026, 10, 6, 4, 5, 9).getTime(), 42, "VI_1: hello");
    expect(line).toBe("<28>Nov  6 04:05:09 tandem[42]: VI_1: hello");
    expect(formatSyslogLine(16, "error", 0, 1, "x").startsWith("<131>")).toBe(true);
  });

  const dir = mkdtempSync(join(tmpdir(), "tandem-syslog-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("without a syslog daemon it says so once on stderr and goes quiet", () => {
    const sink = syslogSink(new FakeClock(), 3, join(dir, "missing.sock"));
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      sink("info", "one");
      sink("info", "two");
    } finally {
      process.stderr.write = original;
    }
    expect(written).toHaveLength(1);
    expect(written[0]).toContain("syslog at");
  });

  test("lines reach a datagram socket at the syslog path", async () => {
    const socketPath = join(dir, "log.sock");
    const out = join(dir, "received");
    const listener = Bun.spawn([
      "python3",
      "-c",
      `
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("${socketPath}")
open("${out}", "w").write(s.recv(4096).decode())
`,
    ]);
    try {
      for (let i = 0; i < 200 && !existsSync(socketPath); i++) await Bun.sleep(10);
      syslogSink(new FakeClock(), 3, socketPath)("error", "VI_1: cannot add 10.0.0.1/24");
      expect(await listener.exited).toBe(0);
      expect(readFileSync(out, "utf8")).toMatch(/^<27>\w{3} [ \d]\d \d\d:\d\d:\d\d tandem\[\d+\]: VI_1: cannot add 10\.0\.0\.1\/24$/);
    } finally {
      listener.kill();
    }
  });
});
