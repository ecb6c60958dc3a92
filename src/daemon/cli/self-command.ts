// The argv that runs this same tandem again (for its own child processes): the compiled
// binary alone, or the runtime with the entry script when run from source.
export function selfCommand(): string[] {
  // A compiled binary's entry lives in Bun's embedded file system.
  return Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
}
