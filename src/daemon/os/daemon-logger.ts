// The daemon's logger, as keepalived logs: syslog unless -G, the console as well with -l,
// debug lines with -D. Every process of the daemon builds its own from the same options.
import type { Clock } from "../../common/clock.ts";
import { createLogger, type Logger, type LogSink } from "../../common/logger.ts";
import type { LogOptions } from "../ipc/messages.ts";
import { consoleSink } from "./log-sink.ts";
import { parseFacility, syslogSink } from "./syslog-sink.ts";

export type DaemonLogger = { ok: true; logger: Logger } | { ok: false; error: string };

export function createDaemonLogger(options: LogOptions, clock: Clock): DaemonLogger {
  const facility = parseFacility(options.facility);
  if (facility === undefined) return { ok: false, error: `--log-facility ${options.facility}: expected 0-7, local0-7, user or daemon` };
  const sinks: LogSink[] = [];
  if (options.console) sinks.push(consoleSink(clock));
  if (options.syslog) sinks.push(syslogSink(clock, facility));
  return { ok: true, logger: createLogger((level, line) => sinks.forEach((sink) => sink(level, line)), options.detail ? "debug" : "info") };
}
