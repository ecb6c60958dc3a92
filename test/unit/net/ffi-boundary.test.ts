// src/net's boundaries: only libc.ts imports bun:ffi, and the pure helpers never reach it.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const netDir = resolve(import.meta.dir, "../../../src/net");
const files = readdirSync(netDir).filter((name) => name.endsWith(".ts"));
const importsOf = (file: string) => [...readFileSync(join(netDir, file), "utf8").matchAll(/^import[^"]*"([^"]+)"/gm)].map((m) => m[1]!);

/** Files a file reaches through relative imports inside src/net (and the modules it names). */
function reach(file: string, seen = new Set<string>()): Set<string> {
  for (const target of importsOf(file)) {
    const name = target.startsWith("./") ? target.slice(2) : target;
    if (seen.has(name)) continue;
    seen.add(name);
    if (target.startsWith("./")) reach(name, seen);
  }
  return seen;
}

describe("src/net import boundaries", () => {
  test("libc.ts is the only file that imports bun:ffi", () => {
    expect(files.filter((file) => importsOf(file).includes("bun:ffi"))).toEqual(["libc.ts"]);
  });

  // The netlink codec and rtnetlink messages are in src/netlink now, where the architecture test keeps them pure.
  test.each(["errno.ts", "libc-structs.ts", "ipv4-datagrams.ts", "arp.ts", "socket-error-queue.ts"])(
    "%s is pure: it reaches neither libc.ts nor bun:ffi",
    (file) => {
      const reached = reach(file);
      expect(reached.has("libc.ts")).toBe(false);
      expect(reached.has("bun:ffi")).toBe(false);
    },
  );

  test("outside src/net only src/common and the pure src/netlink are imported", () => {
    const outside = files.flatMap(importsOf).filter((target) => target.startsWith("../"));
    expect(outside.filter((target) => !target.startsWith("../common/") && !target.startsWith("../netlink/"))).toEqual([]);
  });
});
