// keepalived logs through syslog unless -G: tandem writes RFC 3164 lines to /dev/log
// itself (no libc syslog(3) through FFI). If no syslog daemon listens, that is said once
// on stderr and the sink goes quiet; the daemon never stalls on logging.
import type { Clock } from "../../common/clock.ts";
import type { LogLevel, LogSink } from "../../common/logger.ts";
import { openUnixDatagramSender, type UnixDatagramSender } from "../../net/unix-datagram.ts";

const SEVERITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };
const FACILITY_DAEMON = 3;
const FACILITY_USER = 1;
const FACILITY_LOCAL0 = 16;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** keepalived -S: 0..7 or local0..7 -> LOG_LOCALn; user; daemon (the default). */
export function parseFacility(text: string | undefined): number | undefined {
  if (text === undefined || text === "daemon") return FACILITY_DAEMON;
  if (text === "user") return FACILITY_USER;
  const local = /^(?:local)?([0-7])$/.exec(text);
  return local ? FACILITY_LOCAL0 + Number(local[1]) : undefined;
}

/** "<PRI>Mmm dd hh:mm:ss tag[pid]: message" (RFC 3164 section 4.1, local time as syslogd expects). */
export function formatSyslogLine(facility: number, level: LogLevel, wallMs: number, pid: number, message: string): string {
  const d = new Date(wallMs);
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `<${facility * 8 + SEVERITY[level]}>${stamp} tandem[${pid}]: ${message}`;
}

export function syslogSink(clock: Clock, facility: number, path = "/dev/log"): LogSink {
  let sender: UnixDatagramSender | undefined;
  let broken = false;
  return (level, message) => {
    if (broken) return;
    try {
      sender ??= openUnixDatagramSender(path);
      sender.send(formatSyslogLine(facility, level, clock.wallMs(), process.pid, message));
    } catch (error) {
      // A full syslog queue drops this line only; a missing or refusing syslog ends it.
      if ((error as { code?: string }).code === "EAGAIN") return;
      broken = true;
      sender?.close();
      process.stderr.write(`tandem: syslog at ${path} unavailable (${(error as Error).message}); logging to syslog stopped\n`);
    }
  };
}
