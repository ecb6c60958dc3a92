// keepalived without -n detaches from the terminal. Bun cannot fork, so tandem starts a
// copy of itself with --dont-fork in a new session and returns at once.

/** The command line that runs this same program again, with its arguments. */
export function selfCommand(extraArgs: readonly string[]): string[] {
  const [, entry = "", ...args] = process.argv;
  // Compiled: argv is ["bun", "/$bunfs/root/tandem", ...args] and execPath is the binary.
  // From source: argv is [bun, "src/main.ts", ...args] and execPath is bun.
  const compiled = entry.startsWith("/$bunfs/");
  return compiled ? [process.execPath, ...args, ...extraArgs] : [process.execPath, entry, ...args, ...extraArgs];
}

export function daemonize(): number {
  const child = Bun.spawn(selfCommand(["--dont-fork"]), { stdin: "ignore", stdout: "ignore", stderr: "ignore", detached: true });
  child.unref();
  process.stderr.write(`tandem: running in the background as pid ${child.pid}\n`);
  return 0;
}
