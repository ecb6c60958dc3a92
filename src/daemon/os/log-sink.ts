// Where daemon log lines go: stderr with a wall-clock timestamp (systemd's journal and
// `-l` both read it). Lines carry the pid like keepalived's "Keepalived_vrrp[123]:".
import type { Clock } from "../../common/clock.ts";
import type { LogLevel, LogSink } from "../../common/logger.ts";

export function consoleSink(clock: Clock, write: (line: string) => void = (line) => process.stderr.write(line)): LogSink {
  const pid = process.pid;
  return (level: LogLevel, message: string) => {
    const stamp = new Date(clock.wallMs()).toISOString();
    write(`${stamp} tandem[${pid}] ${level.toUpperCase().padEnd(5)} ${message}\n`);
  };
}
