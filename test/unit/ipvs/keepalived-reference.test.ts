// keepalived 2.2.7's reference IPVS tables (test/fixtures/ipvs-keepalived/, made by its capture.ts
// in a qemu guest): every table is a sorted, self-consistent `ipvsadm -Sn` listing of a config that
// exists, every config is one tandem's parser accepts, and the samples are keepalived's own, so a
// comparison of tandem's table with these rests on solid ground.

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatDiagnostic, nodeFiles, parseConfig } from "../../../src/config/index.ts";
import { parseSaveLine, type SavedDestination, type SavedLine } from "./support/ipvsadm-save-lines.ts";

const dir = join(import.meta.dir, "../../fixtures/ipvs-keepalived");
const configDir = join(dir, "configs");
const samplesDir = join(import.meta.dir, "../../fixtures/config/samples");

const PHASES = ["start", "reload", "stop", "stop-dont-release-ipvs"] as const;
const TABLE = new RegExp(`^([a-z0-9-]+)\\.(${PHASES.join("|")})\\.txt$`);
const THRESHOLDS = new RegExp(`^([a-z0-9-]+)\\.(${PHASES.join("|")})\\.thresholds\\.txt$`);
const LOG = /^([a-z0-9-]+)\.log$/;
const OWN_FILES = new Set(["capture.ts", "guest-script.ts", "README.md", "configs"]);

const files = readdirSync(dir).sort();
const configFiles = readdirSync(configDir).sort();
const configNames = configFiles.filter((f) => !f.endsWith(".reload.conf")).map((f) => f.replace(/\.conf$/, ""));
const tableFiles = files.filter((f) => TABLE.test(f));

/** A fixture: its leading `#` lines, then the rest. */
function readFixture(file: string): { header: string[]; lines: string[] } {
  const all = readFileSync(join(dir, file), "utf8").split("\n");
  expect(all.at(-1)).toBe("");
  const body = all.slice(0, -1);
  const headerLength = body.findIndex((l) => !l.startsWith("#"));
  const header = headerLength < 0 ? body : body.slice(0, headerLength);
  return { header, lines: body.slice(header.length) };
}

function readTable(file: string): SavedLine[] {
  return readFixture(file).lines.map((line) => {
    const parsed = parseSaveLine(line);
    if ("error" in parsed) throw new Error(`${file}: ${line}: ${parsed.error}`);
    return parsed;
  });
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe("the ipvsadm -Sn line reader", () => {
  test("reads services and destinations with every option the fixtures use", () => {
    expect(parseSaveLine("-A -u 10.1.2.1:54 -s sh -o -b sh-port")).toMatchObject({
      name: "-u 10.1.2.1:54",
      scheduler: "sh",
      onePacket: true,
      schedulerFlags: ["sh-port"],
    });
    expect(parseSaveLine("-A -f 2 -6 -s wrr -p 300 -M 64")).toMatchObject({
      name: "-f 2 -6",
      family: 6,
      fwmark: 2,
      persistenceTimeoutS: 300,
      persistenceMask: "64",
    });
    expect(parseSaveLine("-a -t 10.1.8.1:84 -r 10.1.9.1:84 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum")).toMatchObject({
      service: "-t 10.1.8.1:84",
      forward: "tunnel",
      tunnelType: "gue",
      tunnelPort: 6080,
      tunnelChecksum: "nocsum",
    });
    expect(parseSaveLine("-a --sctp-service [fd00:5::1]:3868 -r [fd00:5:1::1]:3868 -g -w 1")).toMatchObject({
      service: "--sctp-service [fd00:5::1]:3868",
      port: 3868,
    });
  });

  test.each([
    ["-A -t 10.0.0.1:80", "a service line needs -s SCHEDULER"],
    ["-A -t 10.0.0.1:80 -s rr -x 3", "unknown service option -x"],
    ["-A -t 10.0.0.1:80 -s rr -M 255.255.255.0", "-M without -p"],
    ["-A -t [fd00:0::1]:80 -s rr", "the virtual address fd00:0::1 is not an address in canonical form"],
    ["-A -t 10.0.0.1 -s rr", "the virtual address must be ADDRESS:PORT or [ADDRESS]:PORT, got 10.0.0.1"],
    ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -w 1", "-r ADDRESS:PORT is followed by -m, -g or -i, got -w"],
    ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1", "--tun-type goes with -i, and -i with --tun-type"],
    ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type ipip --tun-port 5", "--tun-port goes with a gue tunnel only"],
    ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 65536", "-w must be an integer 0..65535, got 65536"],
    ["-a -t 10.0.0.1:80  -r 10.0.0.2:80 -m -w 1", "fields are separated by single spaces"],
    ["-E -t 10.0.0.1:80 -s rr", "a line starts with -A (service) or -a (destination), got -E"],
  ])("refuses %p", (line, reason) => {
    expect(parseSaveLine(line)).toEqual({ error: reason });
  });
});

describe("keepalived reference fixtures", () => {
  test("the directory holds only tables, thresholds listings and logs of configs that exist, and the capture scripts", () => {
    const strays = files.filter((f) => !OWN_FILES.has(f) && ![TABLE, THRESHOLDS, LOG].some((pattern) => configNames.includes(pattern.exec(f)?.[1] ?? "")));
    expect(strays).toEqual([]);
    expect(configFiles.filter((f) => !f.endsWith(".conf"))).toEqual([]);
    const orphanReloads = configFiles.filter((f) => f.endsWith(".reload.conf") && !configNames.includes(f.replace(/\.reload\.conf$/, "")));
    expect(orphanReloads).toEqual([]);
  });

  test("every config was captured after start and stop, after reload iff it has a .reload.conf, with its log", () => {
    for (const name of configNames) {
      const phases = tableFiles.filter((f) => TABLE.exec(f)![1] === name).map((f) => TABLE.exec(f)![2]);
      const expected = ["start", "stop", ...(existsSync(join(configDir, `${name}.reload.conf`)) ? ["reload"] : [])];
      expect({ name, phases: phases.filter((p) => p !== "stop-dont-release-ipvs").sort() }).toEqual({ name, phases: expected.sort() });
      expect({ name, log: files.includes(`${name}.log`) }).toEqual({ name, log: true });
    }
  });

  test("every table is a header naming keepalived 2.2.7, then ipvsadm -Sn lines in byte order, each once", () => {
    for (const file of tableFiles) {
      const { header, lines } = readFixture(file);
      expect({ file, header: header.length >= 3 && header.some((l) => l.includes("Keepalived v2.2.7")) }).toEqual({ file, header: true });
      expect({ file, lines }).toEqual({ file, lines: [...new Set(lines)].sort(byteOrder) });
      expect(() => readTable(file)).not.toThrow();
    }
  });

  test("every destination belongs to a service of its table, which holds each real server once", () => {
    for (const file of tableFiles) {
      const table = readTable(file);
      const services = new Set(table.flatMap((l) => (l.line === "service" ? [l.name] : [])));
      const destinations = table.filter((l): l is SavedDestination => l.line === "destination");
      expect({ file, orphans: destinations.filter((d) => !services.has(d.service)).map((d) => d.service) }).toEqual({ file, orphans: [] });
      const keys = destinations.map((d) => `${d.service} ${d.address.text} ${d.port}`);
      expect({ file, twice: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ file, twice: [] });
    }
  });

  test("every thresholds listing shows the same destinations as its table, with two threshold columns", () => {
    const listings = files.filter((f) => THRESHOLDS.test(f));
    expect(listings.length).toBeGreaterThan(0);
    for (const file of listings) {
      const table = readTable(file.replace(/\.thresholds\.txt$/, ".txt"));
      const rows = readFixture(file).lines.flatMap((l) => {
        const row = /^ {2}-> (\S+) +(\d+) +(\d+) +\d+ +\d+ *$/.exec(l);
        return row && !l.includes("RemoteAddress") ? [row[1]!] : [];
      });
      const expected = table.flatMap((l) =>
        l.line === "destination" ? [l.address.family === 6 ? `[${l.address.text}]:${l.port}` : `${l.address.text}:${l.port}`] : [],
      );
      expect({ file, rows: rows.sort() }).toEqual({ file, rows: expected.sort() });
    }
  });

  test("every log shows keepalived 2.2.7 starting and stopping for each of its runs", () => {
    for (const name of configNames) {
      const text = readFileSync(join(dir, `${name}.log`), "utf8");
      const runs = text.split(/^# --- /m).slice(1);
      expect({ name, runs: runs.length >= 1 }).toEqual({ name, runs: true });
      for (const run of runs) {
        expect({ name, started: run.includes("Starting Keepalived v2.2.7"), stopped: run.includes("Stopped Keepalived v2.2.7") }).toEqual({
          name,
          started: true,
          stopped: true,
        });
      }
    }
  });
});

describe("the reference configs", () => {
  test("tandem's parser accepts every config and reload with no errors (SSL_GET: only its vrrp_instance's auth_type AH)", () => {
    for (const file of configFiles) {
      const result = parseConfig(join(configDir, file), nodeFiles);
      const errors = result.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
      const allowed =
        file === "sample-ssl-get.conf" ? [`${join(configDir, file)}:20:9: error: auth_type AH is not supported by tandem; use PASS or no authentication`] : [];
      expect({ file, errors }).toEqual({ file, errors: allowed });
      expect({ file, virtualServers: (result.config?.virtualServers.length ?? 1) > 0 }).toEqual({ file, virtualServers: true });
    }
  });

  test("every keepalived sample with a virtual_server is here, unchanged, as sample-<name>.conf", () => {
    for (const sample of readdirSync(samplesDir)) {
      const text = readFileSync(join(samplesDir, sample), "utf8");
      const copy = join(
        configDir,
        `sample-${sample
          .replace(/^keepalived\.conf\./, "")
          .toLowerCase()
          .replace(/[_.]/g, "-")}.conf`,
      );
      const hasVirtualServer = /^\s*virtual_server\s/m.test(text);
      expect({ sample, copied: existsSync(copy) }).toEqual({ sample, copied: hasVirtualServer });
      if (hasVirtualServer) expect({ sample, same: readFileSync(copy, "utf8") === text }).toEqual({ sample, same: true });
    }
  });
});
