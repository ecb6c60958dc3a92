// The indexed (linear) checks say exactly what the scans they replaced said; hostile keys and numbers are refused.

import { describe, expect, test } from "bun:test";
import { checkDuplicateVrids } from "../../../src/config/cross-checks.ts";
import { Diagnostics, type SourceLocation } from "../../../src/config/diagnostics.ts";
import { keywordPlaces, keywordSupport } from "../../../src/config/keyword-support.ts";
import type { VrrpInstance } from "../../../src/config/model.ts";
import { instance, parseText } from "./helpers.ts";

const where = (l: SourceLocation): string => `${l.file}:${l.line}:${l.col}`;

/** The check as first written (a scan of all earlier instances per instance): the specification. */
function duplicateVridsByScan(instances: VrrpInstance[], diag: Diagnostics): void {
  for (let i = 0; i < instances.length; i++) {
    const b = instances[i] as VrrpInstance;
    for (const a of instances.slice(0, i)) {
      if (a.interface !== b.interface || a.vrid !== b.vrid) continue;
      const disjointUnicast = a.unicastPeers.length > 0 && b.unicastPeers.length > 0 && !a.unicastPeers.some((p) => b.unicastPeers.includes(p));
      if (disjointUnicast) continue;
      diag.error(
        b.fieldLocations.vrid ?? b.location,
        `vrrp_instance ${b.name} uses virtual_router_id ${b.vrid} on ${b.interface}, already used by vrrp_instance ${a.name} (${where(a.location)})`,
      );
      break;
    }
  }
}

/** A small deterministic generator (xorshift32), so a failure names a seed that reproduces it. */
function random(seed: number): (n: number) => number {
  let x = seed || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

function randomInstances(seed: number, count: number): VrrpInstance[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const peers = Array.from({ length: next(4) }, () => 0x0a000001 + next(6));
    const location = { file: "/k.conf", line: i + 1, col: 1 };
    return {
      name: `I${i}`,
      interface: `eth${next(2)}`,
      vrid: 1 + next(3),
      unicastPeers: peers,
      location,
      fieldLocations: next(2) ? { vrid: { ...location, col: 3 } } : {},
    } as unknown as VrrpInstance;
  });
}

describe("checkDuplicateVrids (indexed by interface and VRID)", () => {
  test("reports what the scan reported, in the same order, on 300 random configurations", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const instances = randomInstances(seed, 40);
      const indexed = new Diagnostics();
      const scanned = new Diagnostics();
      checkDuplicateVrids(instances, indexed);
      duplicateVridsByScan(instances, scanned);
      expect({ seed, list: indexed.list }).toEqual({ seed, list: scanned.list });
    }
  });

  test("a multicast instance clashes with the first one; a unicast one with the first it shares a peer with, or the first multicast one", () => {
    const r = parseText(
      [
        instance("unicast_peer {\n10.1.0.1\n}", "A", 9),
        instance("unicast_peer {\n10.1.0.2\n}", "B", 9),
        instance("unicast_peer {\n10.1.0.3\n10.1.0.2\n}", "C", 9),
        instance("", "D", 9),
        instance("unicast_peer {\n10.1.0.4\n}", "E", 9),
      ].join(""),
    );
    const clashes = r.errors.map((e) => /vrrp_instance (\w+) uses .* vrrp_instance (\w+) /.exec(e)?.slice(1).join(" with "));
    expect(clashes).toEqual(["C with B", "D with A", "E with D"]);
  });
});

describe("duplicate names (indexed per kind of block)", () => {
  test("track_file and vrrp_track_file share one namespace; each kind has its own", () => {
    const r = parseText(
      "track_file T {\nfile /a\n}\nvrrp_track_file T {\nfile /b\n}\nvrrp_script T {\nscript /s\n}\nvirtual_server_group T {\n10.0.0.1 80\n}\nvirtual_server_group T {\n10.0.0.2 80\n}\n",
    );
    expect(r.errors).toEqual([
      "keepalived.conf:4:17: error: vrrp_track_file T is already defined at /etc/keepalived/keepalived.conf:1:1",
      "keepalived.conf:13:22: error: virtual_server_group T is already defined at /etc/keepalived/keepalived.conf:10:1",
    ]);
  });

  test("a name refused as a duplicate does not become the one later duplicates point at", () => {
    const r = parseText(`${instance("", "X", 1)}${instance("", "X", 2)}${instance("", "X", 3)}`);
    expect(r.errors.filter((e) => e.includes("already defined")).every((e) => e.endsWith("keepalived.conf:1:1"))).toBe(true);
  });
});

describe("names from the input are never looked up on plain objects", () => {
  for (const word of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
    test(`flag value '${word}' is an error, not a truthy function`, () => {
      const r = parseText(instance(`nopreempt ${word}`));
      expect(r.errors.some((e) => e.includes(`nopreempt takes on|off|true|false|yes|no, got ${word}`))).toBe(true);
    });

    test(`virtual address option '${word}' is unknown`, () => {
      const r = parseText(instance("").replace("10.0.0.1/24", `10.0.0.1/24 ${word} 7`));
      expect(r.warnings.some((w) => w.includes(`unknown option '${word}' for virtual address 10.0.0.1/24; ignored`))).toBe(true);
      expect(r.warnings.some((w) => w.includes("parsed but not implemented"))).toBe(false);
    });

    test(`block name '${word}' is an ordinary name`, () => {
      const r = parseText(`${instance("", word, 1)}${instance("", word, 2)}`);
      expect(r.errors).toEqual([`keepalived.conf:9:15: error: vrrp_instance ${word} is already defined at /etc/keepalived/keepalived.conf:1:1`]);
    });
  }
});

describe("numbers", () => {
  test("-0 is 0, and hex, exponents and 400 digits are refused", () => {
    const zero = parseText(`${instance("garp_master_delay -0")}`);
    expect(Object.is(zero.config?.vrrpInstances[0]?.garpMasterDelayS, 0)).toBe(true);
    for (const text of ["0x10", "1e999", "9".repeat(400), "Infinity", "NaN", "1_000"]) {
      const r = parseText(instance(`priority ${text}`));
      expect(
        r.errors.some(
          (e) => e.includes(`priority must be an integer 1..255, got ${text.slice(0, 50)}`) || e.includes(`priority must be 1..255, got ${text.slice(0, 50)}`),
        ),
      ).toBe(true);
    }
  });

  test("a decimal is refused at once however long its digits run (the regex used to backtrack)", () => {
    const r = parseText(instance(`preempt_delay ${"1".repeat(8000)}x`));
    expect(r.errors.some((e) => e.includes("preempt_delay must be a number 0..1000"))).toBe(true);
    for (const ok of ["1", "1.", "1.5", ".5", "+2.25"]) expect(parseText(instance(`preempt_delay ${ok}`)).errors).toEqual([]);
    for (const bad of [".", "1..2", "1.2.3", "-.", "1e3"]) expect(parseText(instance(`preempt_delay ${bad}`)).errors.length).toBe(1);
  });
});

test("keywordPlaces lists what keywordSupport lists, in the same order", () => {
  expect(keywordPlaces().map((p) => `${p.block}|${p.keyword.name}`)).toEqual(keywordSupport().map((k) => `${k.block}|${k.keyword}`));
});
