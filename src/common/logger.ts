// Leveled logger writing one line per message, plus a rate limiter so that a flood of bad
// packets or failing scripts cannot flood the log (DESIGN.md: "logged at a bounded rate").

export type LogLevel = "debug" | "info" | "warn" | "error";
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose lines are prefixed with `prefix: `. */
  child(prefix: string): Logger;
}

export type LogSink = (level: LogLevel, line: string) => void;

export function createLogger(sink: LogSink, minimum: LogLevel = "info", prefix = ""): Logger {
  const emit = (level: LogLevel, message: string) => {
    if (levelRank[level] >= levelRank[minimum]) sink(level, prefix ? `${prefix}: ${message}` : message);
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
    child: (p) => createLogger(sink, minimum, prefix ? `${prefix}: ${p}` : p),
  };
}

/** A logger that keeps lines in memory: for tests. */
export function memoryLogger(minimum: LogLevel = "debug"): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger((level, line) => lines.push(`${level} ${line}`), minimum);
  return Object.assign(logger, { lines });
}

export const silentLogger: Logger = createLogger(() => {}, "error");

/**
 * Allows at most `burst` messages per key in any `windowMs`, then counts what it
 * suppressed and reports the count with the next allowed message.
 */
export class RateLimiter {
  private windows = new Map<string, { startMs: number; used: number; suppressed: number }>();

  constructor(
    private readonly burst: number,
    private readonly windowMs: number,
  ) {}

  /** Returns undefined to drop, or the number of messages dropped since the last one let through. */
  allow(key: string, nowMs: number): number | undefined {
    let window = this.windows.get(key);
    if (!window || nowMs - window.startMs >= this.windowMs) {
      const suppressed = window?.suppressed ?? 0;
      window = { startMs: nowMs, used: 0, suppressed: 0 };
      this.windows.set(key, window);
      window.used++;
      return suppressed;
    }
    if (window.used < this.burst) {
      window.used++;
      const suppressed = window.suppressed;
      window.suppressed = 0;
      return suppressed;
    }
    window.suppressed++;
    return undefined;
  }
}
