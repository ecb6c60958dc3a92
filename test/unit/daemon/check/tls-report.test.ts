// SSL_GET's certificate in the runner: what the last handshake found is in the view (and so
// in GET /ipvs/state), and a certificate that starts to expire soon is warned of once.
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../../src/common/clock.ts";
import { memoryLogger } from "../../../../src/common/logger.ts";
import { memoryFiles, parseConfig } from "../../../../src/config/index.ts";
import type { CheckVerdict, TlsCertificateReport } from "../../../../src/check/http-judge.ts";
import { CheckerRunner } from "../../../../src/daemon/check/checker-runner.ts";
import { planDirector } from "../../../../src/daemon/director/director-command.ts";
import { directorConfigOf } from "../../../../src/daemon/ipc/director-config.ts";
import { resolvePlans } from "../../../../src/ipvs/resolve-plan.ts";

const CONFIG = `
virtual_server 10.0.0.1 443 {
  protocol TCP
  delay_loop 10
  real_server 10.0.0.2 443 {
    SSL_GET {
      url {
        path /
      }
      warmup 0
    }
  }
}`;

const flush = () => new Promise((r) => setImmediate(r));

describe("SSL_GET's certificate in the runner", () => {
  test("the view carries the last report; the first check that sees it expiring soon warns, the next ones do not", async () => {
    const parsed = parseConfig("/k.conf", { ...memoryFiles({ "/k.conf": CONFIG }), configId: undefined });
    const resolved = resolvePlans(planDirector(directorConfigOf(parsed.config!)).virtualServers).virtualServers;
    const clock = new FakeClock();
    const logger = memoryLogger("info");
    const notAfterMs = clock.wallMs() + 10 * 86_400_000;
    const report = (expiresSoon: boolean): TlsCertificateReport => ({ verified: true, subject: "CN=rs.test", issuer: "CN=test CA", notAfterMs, expiresSoon });
    const answers: CheckVerdict[] = [
      { ok: true, detail: "status 200", tls: report(false) },
      { ok: true, detail: "status 200", tls: report(true) },
      { ok: true, detail: "status 200", tls: report(true) },
    ];
    const runner = new CheckerRunner({ clock, logger, random: () => 0, verdict: () => {}, probes: { SSL_GET: async () => answers.shift() ?? answers[0]! } });
    runner.configure(resolved);
    runner.start();
    const until = async (ms: number) => {
      for (;;) {
        await flush();
        const due = clock.nextDueMs();
        if (due === undefined || due > ms) break;
        clock.advanceTo(due);
      }
      await flush();
    };
    await until(1_500);
    expect(runner.view()[0]!.tls).toEqual(report(false));
    await until(25_000);
    expect(runner.view()[0]!.tls).toEqual(report(true));
    const day = new Date(notAfterMs).toISOString().slice(0, 10);
    expect(logger.lines.filter((l) => l.includes(`the server's certificate (CN=rs.test) expires on ${day}`))).toHaveLength(1);
    await runner.stop();
  });
});
