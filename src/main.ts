// tandem's entry point: parse the command line, run one command, exit with its status.
import { USAGE, parseArgs } from "./daemon/cli/cli-args.ts";
import { VERSION } from "./daemon/cli/version.ts";

// Each command's modules load only when it runs: every process of the daemon (the supervisor,
// the engine, the observer, the director, the config validator) is this binary, and loading
// all of them (Hono, TLS, SQLite, the status page) cost each child its start time and memory.
async function main(argv: readonly string[]): Promise<number> {
  const command = parseArgs(argv);
  switch (command.kind) {
    case "help":
      process.stdout.write(USAGE);
      return 0;
    case "version":
      process.stdout.write(`Tandem ${VERSION} (keepalived.conf compatible; VRRPv2 RFC 3768, VRRPv3 RFC 5798)\n`);
      return 0;
    case "usage-error":
      process.stderr.write(`tandem: ${command.message}\n`);
      return 2;
    case "check":
      return (await import("./daemon/cli/check-command.ts")).checkCommand(command.configFile, command.configId, command.logFile);
    case "run":
      return (await import("./daemon/run-command.ts")).runCommand(command.options);
    case "state":
    case "events":
    case "ipvs":
      return (await import("./daemon/cli/client-command.ts")).clientCommand(command.kind, command.options);
    case "tls-certificate":
      return (await import("./daemon/cli/tls-certificate-command.ts")).tlsCertificateCommand(command.options);
    case "validate-child":
      return (await import("./daemon/cli/validate-child-command.ts")).validateChildCommand();
    case "engine":
      return (await import("./daemon/engine/engine-command.ts")).engineCommand();
    case "observer":
      return (await import("./daemon/observe/observer-command.ts")).observerCommand();
    case "director":
      return (await import("./daemon/director/director-command.ts")).directorCommand();
  }
}

// No top-level await: the binary is compiled to bytecode (Makefile), which needs a plain module.
void main(process.argv.slice(2)).then((code) => process.exit(code));
