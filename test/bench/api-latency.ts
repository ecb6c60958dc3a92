// GET /vrrp/state latency through a real Bun.serve on 127.0.0.1 at a steady request rate
// (issue 3's benchmark, API alone: target p99 <= 5 ms at 1,000 requests/s). The server
// runs here over the seed pair's fake ports; the load comes from a separate process.
//   bun test/bench/api-latency.ts [--requests 10000] [--rate 1000] [--path /vrrp/state]
import { join } from "node:path";
import { createApiApp } from "../../src/api/index.ts";
import { createLogger } from "../../src/common/logger.ts";
import { startApiServer } from "../../src/daemon/observe/api-server.ts";
import { FakeApi } from "../unit/api/fakes.ts";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const requests = option("requests", "10000");
const rate = option("rate", "1000");
const path = option("path", "/vrrp/state");

const logger = createLogger((level, line) => process.stderr.write(`${level} ${line}\n`), "warn");
const server = await startApiServer({ listen: "127.0.0.1:0", app: createApiApp(new FakeApi()), logger });
const bodyBytes = (await (await fetch(`${server.url}${path}`)).arrayBuffer()).byteLength;

const generator = Bun.spawn([process.execPath, join(import.meta.dir, "api-load-generator.ts"), `${server.url}${path}`, requests, rate], {
  stdout: "pipe",
  stderr: "inherit",
});
const output = await new Response(generator.stdout).text();
const exitCode = await generator.exited;
await server.stop();
if (exitCode !== 0) {
  process.stderr.write(`load generator exited with ${exitCode}\n`);
  process.exit(1);
}

const result = JSON.parse(output);
const ms = (v: number) => v.toFixed(3);
console.log(
  `GET ${path} (${bodyBytes} bytes) on ${server.url}: ${result.requests} requests at ${result.targetRate}/s (achieved ${result.achievedRate}/s, ${result.warmup} warm-up requests not counted)`,
);
console.log(
  `latency ms  p50 ${ms(result.latencyMs.p50)}  p90 ${ms(result.latencyMs.p90)}  p99 ${ms(result.latencyMs.p99)}  p99.9 ${ms(result.latencyMs.p999)}  max ${ms(result.latencyMs.max)}`,
);
console.log(
  `send lag ms p50 ${ms(result.sendLagMs.p50)}  p99 ${ms(result.sendLagMs.p99)}  max ${ms(result.sendLagMs.max)}  (client schedule slip; should be small)`,
);
console.log(`failures ${result.failures}${result.failures ? `: ${result.firstFailures.join("; ")}` : ""}`);
console.log(`target p99 <= 5 ms: ${result.latencyMs.p99 <= 5 && result.failures === 0 ? "met" : "NOT met"}`);
console.log(JSON.stringify(result));
