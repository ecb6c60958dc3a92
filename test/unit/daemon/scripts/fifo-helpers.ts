// Reading a notify FIFO in a test without waiting, and waiting on a real process.
import { closeSync, constants, openSync, readSync } from "node:fs";

/** What is in the FIFO now, without waiting (a second opener reads what the writer buffered). */
export function drainFifo(path: string): string[] {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buffer = Buffer.alloc(65536);
  let text = "";
  try {
    for (;;) {
      const read = readSync(fd, buffer);
      if (read <= 0) break;
      text += buffer.subarray(0, read).toString();
    }
  } catch {
    /* EAGAIN: empty */
  } finally {
    closeSync(fd);
  }
  return text.split("\n").filter(Boolean);
}

export async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await Bun.sleep(10);
  }
}
