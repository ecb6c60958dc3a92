// FilePort over the real file system (node:fs): the only config module that does I/O.
// Reads only regular files and never more than the caller's limit: `include /dev/zero` or
// a FIFO must be an error, not a read that never ends.

import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, constants } from "node:fs";
import type { FilePort, ReadResult } from "./file-port.ts";
import { hasWildcard, matchSegment } from "./glob-pattern.ts";

function readBounded(path: string, maxBytes: number): ReadResult {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not wait; it is refused below anyway.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { error: describe(e), missing: (e as NodeJS.ErrnoException).code === "ENOENT" };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { error: "is a directory" };
    if (!stat.isFile()) return { error: "not a regular file" };
    if (stat.size > maxBytes) return { error: `the file is ${stat.size} bytes; the limit is ${maxBytes}`, tooLarge: true };
    // Read to the limit plus one byte: a file that grows while we read is caught too.
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(stat.size + 1, 4096)));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) return { error: `the file grew past ${maxBytes} bytes while being read`, tooLarge: true };
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) return { error: `the file grew past ${maxBytes} bytes while being read`, tooLarge: true };
    return { text: buffer.toString("utf8", 0, length) };
  } catch (e) {
    return { error: describe(e) };
  } finally {
    closeSync(fd);
  }
}

function describe(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "No such file or directory";
  if (code === "EACCES") return "Permission denied";
  return String((e as Error).message);
}

export const nodeFiles: FilePort = {
  readFile: readBounded,
  glob(pattern, maxEntries) {
    const absolute = pattern.startsWith("/");
    let bases = [absolute ? "/" : "."];
    let examined = 0;
    for (const seg of pattern.split("/")) {
      if (seg === "") continue;
      const next: string[] = [];
      for (const base of bases) {
        const join = (name: string) => (base === "/" ? `/${name}` : `${base}/${name}`);
        if (!hasWildcard(seg)) {
          next.push(join(seg));
          continue;
        }
        let names: string[] = [];
        try {
          names = readdirSync(base);
        } catch {
          // An unreadable directory simply matches nothing, as with glob(3) without GLOB_ERR.
        }
        examined += names.length;
        if (examined > maxEntries) return { error: `more than ${maxEntries} directory entries to examine` };
        for (const name of names.sort()) if (matchSegment(seg, name)) next.push(join(name));
      }
      bases = next;
    }
    examined += bases.length;
    if (examined > maxEntries) return { error: `more than ${maxEntries} directory entries to examine` };
    const paths = bases
      .map((p) => (absolute ? p : p.replace(/^\.\//, "")))
      .filter((p) => {
        try {
          return statSync(p).isFile();
        } catch {
          return false;
        }
      });
    return { paths, examined };
  },
};
