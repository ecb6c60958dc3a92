#!/usr/bin/env bun
// Counts one test tier from bun's JUnit report (run-tests.sh): passed, failed, skipped, and why.
// bun's report leaves out a test file that failed to load, so the tier's test files are checked
// against it; a missing report or a runner that failed without a failed test counts as a failure.
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}
export type Outcome = "passed" | "failed" | "skipped";
export interface TestCase {
  file: string;
  name: string;
  outcome: Outcome;
  message: string;
}
export interface TierRun {
  /** The report's text, or null when the runner left none. */
  report: string | null;
  /** The runner's exit status (128 + n for a signal). */
  exitStatus: number;
  /** The tier's test files, as the shell found them. */
  testFiles: readonly string[];
}
export interface TierSummary {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

const ATTRIBUTE = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The element tree of an XML document; text is dropped (the report keeps what we need in attributes). */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: "#document", attributes: {}, children: [] };
  const open: XmlElement[] = [root];
  let at = 0;
  while (at < xml.length) {
    const lt = xml.indexOf("<", at);
    if (lt < 0) break;
    const skipTo = (end: string) => {
      const close = xml.indexOf(end, lt);
      if (close < 0) throw new Error(`unterminated markup at offset ${lt}`);
      return close + end.length;
    };
    if (xml.startsWith("<?", lt)) at = skipTo("?>");
    else if (xml.startsWith("<!--", lt)) at = skipTo("-->");
    else if (xml.startsWith("<![CDATA[", lt)) at = skipTo("]]>");
    else if (xml.startsWith("<!", lt)) at = skipTo(">");
    else if (xml.startsWith("</", lt)) {
      const gt = skipTo(">");
      const name = xml.slice(lt + 2, gt - 1).trim();
      const top = open.pop();
      if (!top || top === root || top.name !== name) throw new Error(`unexpected </${name}> at offset ${lt}`);
      at = gt;
    } else {
      // Attribute values in the report are entity-escaped, so the first '>' ends the tag.
      const gt = skipTo(">");
      const selfClosing = xml[gt - 2] === "/";
      const body = xml.slice(lt + 1, selfClosing ? gt - 2 : gt - 1);
      const name = body.match(/^[^\s/>]+/)?.[0];
      if (!name) throw new Error(`bad tag at offset ${lt}`);
      const attributes: Record<string, string> = {};
      for (const m of body.slice(name.length).matchAll(ATTRIBUTE)) attributes[m[1]!] = decodeEntities(m[2] ?? m[3] ?? "");
      const element: XmlElement = { name, attributes, children: [] };
      open[open.length - 1]!.children.push(element);
      if (!selfClosing) open.push(element);
      at = gt;
    }
  }
  if (open.length !== 1) throw new Error(`unclosed <${open[open.length - 1]!.name}> at the end of the report`);
  return root;
}

/** Every testcase, named as bun's console names it ("describe > test"), with the file it is in. */
export function testCases(document: XmlElement): TestCase[] {
  const cases: TestCase[] = [];
  // suites: the describe blocks around element, or null at the top, where a testsuite is a file.
  const walk = (element: XmlElement, suites: string[] | null, file: string) => {
    for (const child of element.children) {
      if (child.name === "testsuites") walk(child, suites, file);
      else if (child.name === "testsuite") walk(child, suites === null ? [] : [...suites, child.attributes.name ?? ""], child.attributes.file ?? file);
      else if (child.name === "testcase") {
        const problem = child.children.find((c) => c.name === "failure" || c.name === "error");
        const skipped = child.children.some((c) => c.name === "skipped");
        const outcome: Outcome = problem ? "failed" : skipped ? "skipped" : "passed";
        const message = problem ? (problem.attributes.message ?? problem.attributes.type ?? problem.name) : "";
        cases.push({ file: child.attributes.file ?? file, name: [...(suites ?? []), child.attributes.name ?? ""].join(" > "), outcome, message });
      }
    }
  };
  walk(document, null, "");
  return cases;
}

const firstLine = (text: string) => text.trim().split("\n")[0]!.trim();

/** `normalize` maps a path as bun or the shell wrote it to one key (both are relative to the repo). */
export function summarizeTier(run: TierRun, normalize: (path: string) => string = (p) => p.replace(/^\.\//, "")): TierSummary {
  const failures: string[] = [];
  let cases: TestCase[] | null = null;
  if (run.report === null) failures.push(`the test runner exited ${run.exitStatus} and wrote no report`);
  else {
    try {
      cases = testCases(parseXml(run.report));
    } catch (error) {
      failures.push(`the report is not readable XML: ${(error as Error).message}`);
    }
  }
  if (cases !== null) {
    for (const c of cases) if (c.outcome === "failed") failures.push(`${c.file}: ${c.name}${c.message ? `: ${firstLine(c.message)}` : ""}`);
    const reported = new Set(cases.map((c) => normalize(c.file)));
    for (const file of run.testFiles) if (!reported.has(normalize(file))) failures.push(`${file}: not in the report (it failed to load, or defines no tests)`);
  }
  if (run.exitStatus !== 0 && failures.length === 0) failures.push(`the test runner exited ${run.exitStatus} without reporting a failed test`);
  const count = (outcome: Outcome) => (cases ?? []).filter((c) => c.outcome === outcome).length;
  // Every failure is one failed test: a failed testcase, a file that did not load, a broken runner.
  return { passed: count("passed"), failed: failures.length, skipped: count("skipped"), failures };
}

function readReport(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

// Usage: bun scripts/junit-summary.ts TIER REPORT EXIT_STATUS TEST_FILE...
// Prints the failures to stderr and "PASSED FAILED SKIPPED" on stdout for the shell to read.
if (import.meta.main) {
  const [tier, reportPath, statusText, ...testFiles] = process.argv.slice(2);
  if (!tier || !reportPath || !/^\d+$/.test(statusText ?? "")) {
    console.error("usage: bun scripts/junit-summary.ts TIER REPORT EXIT_STATUS TEST_FILE...");
    process.exit(2);
  }
  const fromRepo = (path: string) => relative(process.cwd(), resolve(path));
  const summary = summarizeTier({ report: readReport(reportPath), exitStatus: Number(statusText), testFiles }, fromRepo);
  if (summary.failures.length > 0) {
    console.error(`tier ${tier}: ${summary.failures.length} failed:`);
    for (const failure of summary.failures) console.error(`  ${failure}`);
  }
  console.log(`${summary.passed} ${summary.failed} ${summary.skipped}`);
}
