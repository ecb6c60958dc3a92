// The event store's file-system port on node:fs: store/ itself may not touch the file
// system beyond bun:sqlite (DESIGN.md), so the daemon hands it these few operations:
// create the directory, check writability, move a corrupt file aside.
import { accessSync, constants, existsSync, mkdirSync, renameSync } from "node:fs";
import type { StoreFiles } from "../../store/index.ts";

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Each operation returns undefined on success or the OS error text. */
function attempt(operation: () => void): string | undefined {
  try {
    operation();
    return undefined;
  } catch (error) {
    return message(error);
  }
}

export function nodeStoreFiles(): StoreFiles {
  return {
    ensureDirectory: (path) => attempt(() => mkdirSync(path, { recursive: true })),
    writable: (path) => attempt(() => accessSync(path, constants.W_OK)),
    exists: (path) => existsSync(path),
    rename: (from, to) => attempt(() => renameSync(from, to)),
  };
}
