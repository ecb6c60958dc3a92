// `tandem __engine`: the VRRP engine, in a process of its own (keepalived's vrrp child).
// This file is the process around it: signals, the IPC link to the supervisor, scheduling,
// and the real kernel, processes and accounts the Engine (engine.ts) is given.
import { systemClock } from "../../common/clock.ts";
import { createNetworkPorts } from "../../net/index.ts";
import type { FromEngine, ToEngine } from "../ipc/messages.ts";
import { parentLink } from "../ipc/parent-link.ts";
import { setUpChild } from "../os/child-setup.ts";
import { NotifyFifo } from "../scripts/notify-fifo.ts";
import { createProcessRunner } from "../scripts/process-runner.ts";
import { nodeSecurityFs } from "../scripts/script-security.ts";
import { readAccountDatabase } from "../scripts/script-user.ts";
import { Engine } from "./engine.ts";

export async function engineCommand(): Promise<number> {
  const link = parentLink<ToEngine, FromEngine>();
  const clock = systemClock();
  // Signals before anything: SIGTERM (a `kill $(pidof tandem)` reaches every process) is a
  // graceful stop from the first moment; SIGHUP is the supervisor's to handle.
  let engine: Engine | undefined;
  let stopBeforeStart: string | undefined;
  const stop = (reason: string) => (engine ? void engine.stop(reason) : (stopBeforeStart ??= reason));
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => {});
  link.onDisconnect(() => stop("the supervisor is gone"));

  const start = await link.next("start");
  // vrrp_priority, vrrp_rt_priority, vrrp_no_swap, vrrp_cpu_affinity, vrrp_rlimit_rttime.
  const logger = setUpChild("vrrp engine", start.log, start.config.globalDefs.vrrpProcess, clock);
  if (!logger) return 2;
  if (stopBeforeStart) return 0;
  const runner = createProcessRunner(clock);
  engine = new Engine(
    {
      send: (message) => link.send(message),
      clock,
      logger,
      net: createNetworkPorts(logger.child("net")),
      runner,
      accounts: readAccountDatabase(),
      daemonIdentity: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
      securityFs: nodeSecurityFs,
      createFifo: () => new NotifyFifo({ logger: logger.child("fifo"), runner }),
    },
    start,
  );
  link.onMessage((message) => engine!.handle(message));
  process.on("uncaughtException", (error) => logger.error(`internal error (continuing): ${error.stack ?? error.message}`));
  process.on("unhandledRejection", (reason) =>
    logger.error(`internal error in a promise (continuing): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`),
  );
  await engine.start();
  return engine.untilStopped();
}
