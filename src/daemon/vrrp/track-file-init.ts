// keepalived's track_file `init_file [VALUE] [overwrite]`: create the file (or overwrite it)
// with "VALUE\n" at startup, never on a reload (trackers/track_file.c).

import { lstat, writeFile } from "node:fs/promises";

export interface TrackFileInit {
  value: number;
  overwrite: boolean;
}

/** Returns undefined on success or when nothing had to be done, else a message for the operator. */
export async function initTrackFile(path: string, init: TrackFileInit, isReload: boolean): Promise<string | undefined> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing) {
    if (!init.overwrite) return undefined;
    if (!existing.isFile()) return `cannot initialise track file ${path}: it is not a regular file`;
    if (isReload) return undefined;
  }
  try {
    await writeFile(path, `${Math.trunc(init.value)}\n`);
    return undefined;
  } catch (error) {
    return `unable to initialise track file ${path}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
