// scripts/junit-summary.ts: the XML reader, the counts, and bun's own JUnit report for files that
// pass, fail, skip and fail to load, so a bun upgrade that changes the report shows up here.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeEntities, parseXml, summarizeTier, testCases } from "../../../scripts/junit-summary.ts";

const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment with <tags> in it -->
<testsuites name="bun test" tests="5" failures="2" skipped="1">
  <testsuite name="test/unit/a.test.ts" file="test/unit/a.test.ts" tests="4">
    <testsuite name="group &lt;&amp;&gt;" file="test/unit/a.test.ts" line="2">
      <testcase name="passes" classname="group" file="test/unit/a.test.ts" line="3" />
      <testcase name="fails" classname="group" file="test/unit/a.test.ts" line="4">
        <failure type="AssertionError" message="expect(received).toBe(expected)&#10;&#10;Expected: 2">AssertionError: ...&#10;</failure>
      </testcase>
      <testcase name='skipped' file="test/unit/a.test.ts"><skipped /></testcase>
    </testsuite>
    <testcase name="errors at the top" file="test/unit/a.test.ts"><error message="boom"><![CDATA[ a < b ]]></error></testcase>
  </testsuite>
  <testsuite name="test/unit/b.test.ts" file="test/unit/b.test.ts" tests="1">
    <testcase name="passes too" file="test/unit/b.test.ts" />
  </testsuite>
</testsuites>
`;

describe("the XML reader", () => {
  test("decodes the five named entities and numeric references, and leaves unknown ones", () => {
    expect(decodeEntities("&lt;&gt;&amp;&quot;&apos;&#10;&#x41;&nbsp;")).toBe("<>&\"'\nA&nbsp;");
  });

  test("reads nested elements and attributes in either quote, skipping the prolog, comments and CDATA", () => {
    const document = parseXml(REPORT);
    const suites = document.children[0]!;
    expect(suites.name).toBe("testsuites");
    expect(suites.children.map((s) => s.attributes.name)).toEqual(["test/unit/a.test.ts", "test/unit/b.test.ts"]);
    expect(suites.children[0]!.children[0]!.attributes.name).toBe("group <&>");
  });

  test("rejects a truncated report (a runner killed while writing it)", () => {
    expect(() => parseXml(REPORT.slice(0, REPORT.indexOf('<testsuite name="test/unit/b')))).toThrow(/unclosed <testsuites>/);
    expect(() => parseXml('<testsuites><testcase name="x"')).toThrow(/unterminated/);
    expect(() => parseXml("<a></b>")).toThrow(/unexpected <\/b>/);
  });
});

describe("the test cases", () => {
  test("are named as bun's console names them, with their file and outcome", () => {
    expect(testCases(parseXml(REPORT))).toEqual([
      { file: "test/unit/a.test.ts", name: "group <&> > passes", outcome: "passed", message: "" },
      { file: "test/unit/a.test.ts", name: "group <&> > fails", outcome: "failed", message: "expect(received).toBe(expected)\n\nExpected: 2" },
      { file: "test/unit/a.test.ts", name: "group <&> > skipped", outcome: "skipped", message: "" },
      { file: "test/unit/a.test.ts", name: "errors at the top", outcome: "failed", message: "boom" },
      { file: "test/unit/b.test.ts", name: "passes too", outcome: "passed", message: "" },
    ]);
  });
});

describe("a tier's summary", () => {
  const files = ["./test/unit/a.test.ts", "test/unit/b.test.ts"];

  test("counts the report's test cases and names each failure with its first line", () => {
    expect(summarizeTier({ report: REPORT, exitStatus: 1, testFiles: files })).toEqual({
      passed: 2,
      failed: 2,
      skipped: 1,
      failures: ["test/unit/a.test.ts: group <&> > fails: expect(received).toBe(expected)", "test/unit/a.test.ts: errors at the top: boom"],
    });
  });

  test("counts a test file missing from the report as a failure", () => {
    const summary = summarizeTier({ report: REPORT, exitStatus: 1, testFiles: [...files, "test/unit/c.test.ts"] });
    expect(summary.failed).toBe(3);
    expect(summary.failures[2]).toBe("test/unit/c.test.ts: not in the report (it failed to load, or defines no tests)");
  });

  test("counts a runner that wrote no report as one failure, never as 0 of 0", () => {
    expect(summarizeTier({ report: null, exitStatus: 0, testFiles: files })).toEqual({
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: ["the test runner exited 0 and wrote no report"],
    });
    expect(summarizeTier({ report: null, exitStatus: 137, testFiles: files }).failed).toBe(1);
  });

  test("counts an unreadable report as one failure", () => {
    const summary = summarizeTier({ report: "<testsuites>", exitStatus: 0, testFiles: files });
    expect(summary.failed).toBe(1);
    expect(summary.failures[0]).toMatch(/not readable XML/);
  });

  test("counts a runner that failed without a failed test as one failure", () => {
    const clean = `<testsuites><testsuite name="t.test.ts" file="t.test.ts"><testcase name="ok" file="t.test.ts" /></testsuite></testsuites>`;
    expect(summarizeTier({ report: clean, exitStatus: 0, testFiles: ["t.test.ts"] })).toEqual({ passed: 1, failed: 0, skipped: 0, failures: [] });
    expect(summarizeTier({ report: clean, exitStatus: 1, testFiles: ["t.test.ts"] })).toEqual({
      passed: 1,
      failed: 1,
      skipped: 0,
      failures: ["the test runner exited 1 without reporting a failed test"],
    });
  });
});

describe("bun's JUnit report, read by the script as run-tests.sh runs it", () => {
  const dir = mkdtempSync(join(tmpdir(), "junit-summary-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    "pass.test.ts": `import { test } from "bun:test";\ntest("one", () => {});\ntest.skip("two", () => {});\n`,
    "fail.test.ts": `import { describe, expect, test } from "bun:test";\ndescribe("d", () => { test("wrong", () => { expect(1).toBe(2); }); });\n`,
    "syntax.test.ts": `import { test } from "bun:test";\nconst x = ;\n`,
    "import.test.ts": `import { test } from "bun:test";\nimport { nothing } from "./missing.ts";\ntest("never", () => nothing());\n`,
    "throws.test.ts": `import { test } from "bun:test";\ntest("registered", () => {});\nthrow new Error("at load");\n`,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);

  const run = (names: string[]) => {
    const report = join(dir, `${names.length}.xml`);
    const paths = names.map((n) => `./${n}`);
    const bun = Bun.spawnSync([process.execPath, "test", ...paths, "--reporter=junit", `--reporter-outfile=${report}`], {
      cwd: dir,
      stdout: "ignore",
      stderr: "ignore",
    });
    const summary = Bun.spawnSync([process.execPath, join(import.meta.dir, "../../../scripts/junit-summary.ts"), "t", report, String(bun.exitCode), ...paths], {
      cwd: dir,
    });
    return { status: summary.exitCode, counts: summary.stdout.toString(), failures: summary.stderr.toString() };
  };

  test("counts passes, skips, a failed assertion, and each file that did not load", () => {
    const { status, counts, failures } = run(Object.keys(files));
    expect(status).toBe(0);
    expect(counts).toBe("1 4 1\n");
    expect(failures).toContain("fail.test.ts: d > wrong: expect(received).toBe(expected)");
    for (const broken of ["syntax", "import", "throws"])
      expect(failures).toContain(`./${broken}.test.ts: not in the report (it failed to load, or defines no tests)`);
  });

  test("counts a tier whose only file fails to load as failed, not as 0 of 0", () => {
    // bun writes no report at all then; whichever way it goes, the file is one failure.
    expect(run(["syntax.test.ts"]).counts).toBe("0 1 0\n");
  });
});
