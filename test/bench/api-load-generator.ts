// Load generator for api-latency.ts, run in its own process so the client never shares
// the server's event loop: GETs one URL at a steady rate (open loop, one request every
// 1000/rate ms whether or not earlier ones have answered) and prints latencies as JSON.
//   bun test/bench/api-load-generator.ts URL REQUESTS RATE [WARMUP]

const [url, requestsText = "10000", rateText = "1000", warmupText = "500"] = process.argv.slice(2);
if (!url) {
  process.stderr.write("usage: bun test/bench/api-load-generator.ts URL REQUESTS RATE [WARMUP]\n");
  process.exit(2);
}
const warmup = Number(warmupText);
const total = warmup + Number(requestsText);
const intervalMs = 1000 / Number(rateText);

const latencyMs = new Float64Array(total);
const lagMs = new Float64Array(total);
const failures: string[] = [];
let sent = 0;
let finished = 0;
const startAt = performance.now() + 50;

async function fire(index: number): Promise<void> {
  const begin = performance.now();
  lagMs[index] = begin - (startAt + index * intervalMs);
  try {
    const response = await fetch(url!);
    await response.arrayBuffer();
    if (response.status !== 200) failures.push(`#${index}: HTTP ${response.status}`);
  } catch (error) {
    failures.push(`#${index}: ${(error as Error).message}`);
  }
  latencyMs[index] = performance.now() - begin;
  if (++finished === total) report();
}

/** Sends every request that is due, then sleeps until the next one is. */
function tick(): void {
  const now = performance.now();
  while (sent < total && startAt + sent * intervalMs <= now) void fire(sent++);
  if (sent < total) setTimeout(tick, Math.max(0, startAt + sent * intervalMs - performance.now()));
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(): void {
  const measured = latencyMs.slice(warmup).sort();
  const lag = lagMs.slice(warmup).sort();
  const elapsedS = (performance.now() - startAt - warmup * intervalMs) / 1000;
  const result = {
    url,
    requests: measured.length,
    warmup,
    targetRate: Number(rateText),
    achievedRate: Math.round(measured.length / elapsedS),
    failures: failures.length,
    firstFailures: failures.slice(0, 5),
    latencyMs: {
      p50: percentile(measured, 50),
      p90: percentile(measured, 90),
      p99: percentile(measured, 99),
      p999: percentile(measured, 99.9),
      max: measured[measured.length - 1]!,
    },
    sendLagMs: { p50: percentile(lag, 50), p99: percentile(lag, 99), max: lag[lag.length - 1]! },
  };
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

setTimeout(tick, 50);
