// The configuration goes to the director and the observer as JSON text (json-text.ts): it
// must hold nothing JSON would lose, in any configuration keepalived's samples and the
// seed's files make, and decode to what was encoded.
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { nodeFiles, parseConfig } from "../../../../src/config/index.ts";
import { fromJsonText, toJsonText } from "../../../../src/daemon/ipc/json-text.ts";
import { directorConfigOf } from "../../../../src/daemon/ipc/director-config.ts";

const fixtures = join(import.meta.dir, "../../../fixtures");
const inDir = (dir: string) => readdirSync(join(fixtures, dir)).map((name) => join(fixtures, dir, name));
const files = [
  // keepalived's samples (but SSL_GET: its auth_type AH is refused), the seed's, and the IPVS reference configurations (every virtual server keyword).
  ...inDir("config/samples").filter((file) => !file.endsWith(".SSL_GET")),
  join(fixtures, "config/seed-179.conf"),
  join(fixtures, "config/seed-180.conf"),
  ...inDir("ipvs-keepalived/configs").filter((file) => !file.endsWith("sample-ssl-get.conf")),
];

/** Paths of values JSON text would drop or change: undefined in an array, non-finite numbers, and anything but plain objects, arrays and primitives. */
function lossyPaths(value: unknown, path = "config"): string[] {
  if (value === null || typeof value === "string" || typeof value === "boolean") return [];
  if (typeof value === "number") return Number.isFinite(value) ? [] : [`${path}: ${value}`];
  if (Array.isArray(value)) return value.flatMap((item, i) => (item === undefined ? [`${path}[${i}]: undefined`] : lossyPaths(item, `${path}[${i}]`)));
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return [`${path}: ${proto?.constructor?.name ?? "exotic object"}`];
    return Object.entries(value).flatMap(([key, item]) => (item === undefined ? [] : lossyPaths(item, `${path}.${key}`)));
  }
  return [`${path}: ${typeof value}`];
}

describe("configuration as JSON text", () => {
  test("the lossy-value finder finds what JSON would lose", () => {
    expect(lossyPaths({ a: [1, undefined], b: new Map(), c: Infinity, d: new Uint8Array(1), e: { f: undefined } })).toEqual([
      "config.a[1]: undefined",
      "config.b: Map",
      "config.c: Infinity",
      "config.d: Uint8Array",
    ]);
  });

  for (const file of files) {
    test(`${file.split("/").pop()}: nothing JSON loses; the whole configuration and the director's part decode to themselves`, () => {
      const { config } = parseConfig(file, nodeFiles);
      expect(config).toBeDefined();
      expect(lossyPaths(config)).toEqual([]);
      expect(fromJsonText(toJsonText(config!))).toEqual(config!);
      expect(fromJsonText(toJsonText(directorConfigOf(config!)))).toEqual(directorConfigOf(config!));
    });
  }
});
