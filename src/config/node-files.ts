// FilePort over the real file system (node:fs): the only config module that does I/O.

import { readdirSync, readFileSync, statSync } from "node:fs";
import type { FilePort } from "./file-port.ts";
import { hasWildcard, segmentRegExp } from "./glob-pattern.ts";

export const nodeFiles: FilePort = {
  readFile(path) {
    try {
      return { text: readFileSync(path, "utf8") };
    } catch (e) {
      return { error: (e as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : String((e as Error).message) };
    }
  },
  glob(pattern) {
    const absolute = pattern.startsWith("/");
    let bases = [absolute ? "/" : "."];
    for (const seg of pattern.split("/")) {
      if (seg === "") continue;
      const next: string[] = [];
      for (const base of bases) {
        const join = (name: string) => (base === "/" ? `/${name}` : `${base}/${name}`);
        if (!hasWildcard(seg)) {
          next.push(join(seg));
          continue;
        }
        const re = segmentRegExp(seg);
        let names: string[] = [];
        try {
          names = readdirSync(base);
        } catch {
          // An unreadable directory simply matches nothing, as with glob(3) without GLOB_ERR.
        }
        for (const name of names.sort()) if (re.test(name)) next.push(join(name));
      }
      bases = next;
    }
    return bases.map((p) => (absolute ? p : p.replace(/^\.\//, ""))).filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
  },
};
