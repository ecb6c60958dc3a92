// Runs one command and prints {code, ms, rssMb} as JSON. Bun's resourceUsage() reports the
// peak of all the children a process has had, so the benchmark runs each command from a
// fresh one of these: its only child is the command measured.
//   bun test/bench/peak-rss.ts TIMEOUT_MS COMMAND [ARGS...]
const [timeoutText, ...argv] = process.argv.slice(2);
const started = performance.now();
const proc = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore" });
const timer = setTimeout(() => proc.kill("SIGKILL"), Number(timeoutText));
await proc.exited;
clearTimeout(timer);
console.log(JSON.stringify({ code: proc.exitCode, ms: performance.now() - started, rssMb: (proc.resourceUsage()?.maxRSS ?? 0) / 2 ** 20 }));
export {};
