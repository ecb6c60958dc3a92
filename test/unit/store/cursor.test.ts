// Cursors round-trip, and anything that is not one of ours decodes to undefined.
import { describe, expect, test } from "bun:test";
import { decodeCursor, encodeCursor } from "../../../src/store/index.ts";

describe("cursors", () => {
  test("round-trip both orders", () => {
    for (const cursor of [
      { order: "desc" as const, id: 1 },
      { order: "asc" as const, id: 123_456_789_012 },
    ]) {
      const text = encodeCursor(cursor);
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(text)).toEqual(cursor);
    }
  });

  test("garbage decodes to undefined", () => {
    const garbage: unknown[] = [
      "",
      "abc",
      "!!!",
      "x".repeat(100),
      Buffer.from("e1.x.5").toString("base64url"),
      Buffer.from("e1.d.-5").toString("base64url"),
      Buffer.from("e1.d.9999999999999999").toString("base64url"),
      42,
      null,
      undefined,
      {},
    ];
    for (const text of garbage) expect(decodeCursor(text)).toBeUndefined();
  });
});
