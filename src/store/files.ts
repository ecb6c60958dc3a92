// The few file-system operations the store needs beyond SQLite (create the directory,
// tell read-only from missing, move a corrupt file aside), as a port the daemon provides.
// DESIGN.md lets store/ import only bun:sqlite; tests give it a real or a failing one.

export interface StoreFiles {
  /** mkdir -p. Undefined when the directory exists or was made, else the OS error text. */
  ensureDirectory(path: string): string | undefined;
  /** Undefined when this process may write to path (a file or directory), else the OS error text (EROFS, EACCES). */
  writable(path: string): string | undefined;
  exists(path: string): boolean;
  /** Undefined on success, else the OS error text. */
  rename(from: string, to: string): string | undefined;
}

/** Without a port: nothing is created or moved, and errors say so. */
export const NO_FILE_ACCESS: StoreFiles = {
  ensureDirectory: () => undefined,
  writable: () => undefined,
  exists: () => false,
  rename: () => "the store was given no file access to move files",
};

/** A port whose calls cannot throw: an implementation that throws reads as a failure. */
export function guardFiles(files: StoreFiles): StoreFiles {
  const text = (error: unknown) => (error instanceof Error ? error.message : String(error));
  return {
    ensureDirectory: (path) => {
      try {
        return files.ensureDirectory(path);
      } catch (error) {
        return text(error);
      }
    },
    writable: (path) => {
      try {
        return files.writable(path);
      } catch (error) {
        return text(error);
      }
    },
    exists: (path) => {
      try {
        return files.exists(path);
      } catch {
        return false;
      }
    },
    rename: (from, to) => {
      try {
        return files.rename(from, to);
      } catch (error) {
        return text(error);
      }
    },
  };
}

/** The directory part of a path ("." for a bare name). */
export function directoryOf(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}
