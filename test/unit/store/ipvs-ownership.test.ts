// The record of the IPVS services tandem created: it survives a reopen (a restart), holds
// exactly the last set given, and says why when the file cannot be used.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IpvsOwnership } from "../../../src/store/ipvs-ownership.ts";

const dir = mkdtempSync(join(tmpdir(), "tandem-ownership-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the owned set is replaced as a whole and read back after a reopen", () => {
  const path = join(dir, "ipvs.db");
  const first = IpvsOwnership.open(path, 1_000);
  if (!first.ok) throw new Error(first.reason);
  expect(first.ownership.owned()).toEqual(new Set());
  expect(first.ownership.replace(new Set(["TCP 10.0.0.1:80", "FWM 7 IPv4"]), 2_000)).toEqual({ ok: true });
  expect(first.ownership.replace(new Set(["TCP 10.0.0.1:80", "UDP [2001:db8::1]:53"]), 3_000)).toEqual({ ok: true });
  first.ownership.close();

  const again = IpvsOwnership.open(path, 4_000);
  if (!again.ok) throw new Error(again.reason);
  expect(again.ownership.owned()).toEqual(new Set(["TCP 10.0.0.1:80", "UDP [2001:db8::1]:53"]));
  again.ownership.close();
});

test("a file that is not a database is refused with a reason", () => {
  const path = join(dir, "garbage.db");
  writeFileSync(path, "this is not sqlite ".repeat(100));
  const opened = IpvsOwnership.open(path, 1_000);
  expect(opened.ok).toBe(false);
  if (!opened.ok) expect(opened.reason).toContain(path);
});

test("a write that fails is reported, not thrown", () => {
  const opened = IpvsOwnership.open(":memory:", 1_000);
  if (!opened.ok) throw new Error(opened.reason);
  opened.ownership.close(); // every statement now fails inside SQLite
  const result = opened.ownership.replace(new Set(["TCP 10.0.0.9:80"]), 3_000);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.reason).toStartWith("cannot record the IPVS services tandem owns: ");
});
