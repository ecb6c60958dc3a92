// Test helper: hex text (with # comments and any whitespace) to bytes, and back.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function fromHex(text: string): Uint8Array {
  const digits = text
    .split("\n")
    .map((line) => line.replace(/#.*/, ""))
    .join("")
    .replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error("malformed hex");
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fixture(name: string): string {
  return readFileSync(join(import.meta.dir, "../../fixtures/net", name), "utf8");
}
