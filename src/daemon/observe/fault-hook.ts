// A test-only fault hook for the observer, to prove that nothing it does reaches the VRRP
// engine: with TANDEM_TEST_FAULTS=FILE in its environment, SIGUSR1 makes the observer do
// what FILE says: "busy MS" (a busy loop), "grow" (allocate until something stops it) or
// "crash" (an uncaught error out of the event loop). Never enabled without the variable.
import { readFileSync } from "node:fs";
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";

export function installFaultHook(file: string | undefined, clock: Clock, logger: Logger): void {
  if (!file) return;
  logger.warn(`test fault hook armed (TANDEM_TEST_FAULTS=${file}): SIGUSR1 runs the fault the file names`);
  process.on("SIGUSR1", () => {
    let fault = "";
    try {
      fault = readFileSync(file, "utf8").trim();
    } catch (error) {
      logger.error(`fault hook: cannot read ${file}: ${(error as Error).message}`);
      return;
    }
    logger.warn(`fault hook: ${fault}`);
    const [kind, argument] = fault.split(/\s+/);
    if (kind === "busy") {
      const until = clock.nowMs() + Number(argument ?? 5000);
      while (clock.nowMs() < until) {
        // Spinning on purpose: the observer's loop is stuck.
      }
    } else if (kind === "grow") {
      const hoard: string[] = [];
      const grow = () => {
        for (let i = 0; i < 64; i++) hoard.push("x".repeat(1 << 20) + hoard.length);
        clock.at(clock.nowMs(), grow);
      };
      grow();
    } else if (kind === "crash") {
      clock.at(clock.nowMs(), () => {
        throw new Error("fault hook: crash");
      });
    }
  });
}
