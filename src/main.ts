// tandem's entry point: parse the command line, run one command, exit with its status.
import { USAGE, parseArgs } from "./daemon/cli/cli-args.ts";
import { checkCommand } from "./daemon/cli/check-command.ts";
import { clientCommand } from "./daemon/cli/client-command.ts";
import { runCommand } from "./daemon/run-command.ts";
import { tlsCertificateCommand } from "./daemon/cli/tls-certificate-command.ts";
import { validateChildCommand } from "./daemon/cli/validate-child-command.ts";
import { engineCommand } from "./daemon/engine/engine-command.ts";
import { observerCommand } from "./daemon/observe/observer-command.ts";
import { directorCommand } from "./daemon/director/director-command.ts";
import { VERSION } from "./daemon/cli/version.ts";

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
      return checkCommand(command.configFile, command.configId, command.logFile);
    case "run":
      return runCommand(command.options);
    case "state":
    case "events":
    case "ipvs":
      return clientCommand(command.kind, command.options);
    case "tls-certificate":
      return tlsCertificateCommand(command.options);
    case "validate-child":
      return validateChildCommand();
    case "engine":
      return engineCommand();
    case "observer":
      return observerCommand();
    case "director":
      return directorCommand();
  }
}

// No top-level await: the binary is compiled to bytecode (Makefile), which needs a plain module.
void main(process.argv.slice(2)).then((code) => process.exit(code));
