// What each child of the supervisor does first with its start message: build its logger from
// the supervisor's options and apply its scheduling keywords to itself.
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import type { ProcessScheduling } from "../../config/index.ts";
import type { LogOptions } from "../ipc/messages.ts";
import { createDaemonLogger } from "./daemon-logger.ts";
import { applyOwnScheduling } from "./scheduling.ts";

/** The child's logger, or undefined (after saying why on stderr) when the options are unusable. */
export function setUpChild(role: string, log: LogOptions, scheduling: ProcessScheduling | undefined, clock: Clock): Logger | undefined {
  const made = createDaemonLogger(log, clock);
  if (!made.ok) {
    process.stderr.write(`tandem: ${made.error}\n`);
    return undefined;
  }
  applyOwnScheduling(role, scheduling, clock, made.logger);
  return made.logger;
}
