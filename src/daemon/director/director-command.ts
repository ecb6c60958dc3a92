// `tandem __director`: the IPVS director and the health checks in a process of its
// own, keepalived's checker child. This file is the process around DirectorService: signals,
// the IPC link to the supervisor, scheduling (keepalived's checker_* keywords), and the real
// kernel, ownership record and script runner it is given.
import { checkSpecOf } from "../check/check-spec-of.ts";
import { watchHostAddresses } from "../check/local-addresses.ts";
import { systemClock, type Clock } from "../../common/clock.ts";
import type { ProcessScheduling } from "../../config/index.ts";
import { planIpvsGlobals } from "../../ipvs/plan-ipvs-globals.ts";
import { planVirtualServers } from "../../ipvs/plan-virtual-servers.ts";
import { IpvsOwnership } from "../../store/ipvs-ownership.ts";
import type { FromDirector, ToDirector } from "../ipc/messages.ts";
import { parentLink } from "../ipc/parent-link.ts";
import { openIpvsKernel } from "../ipvs/kernel-ipvs.ts";
import { procHost } from "../ipvs/proc-host.ts";
import { setUpChild } from "../os/child-setup.ts";
import { createProcessRunner } from "../scripts/process-runner.ts";
import { nodeSecurityFs } from "../scripts/script-security.ts";
import { readAccountDatabase } from "../scripts/script-user.ts";
import type { Logger } from "../../common/logger.ts";
import type { OwnershipPort } from "../../ipvs/director.ts";
import type { DirectorConfig } from "../ipc/director-config.ts";
import { decodeStart, DirectorService, type DirectorPlan, type DirectorServiceDeps, type KernelOpen } from "./director-service.ts";

/** The director's plans from the configuration: its virtual servers (with what their checkers run) and the drain timeout. */
export function planDirector(config: DirectorConfig): DirectorPlan {
  const trackFiles = config.trackFiles ?? [];
  return {
    virtualServers: planVirtualServers(config, (checker, rs, vs) => checkSpecOf(checker, rs, vs, trackFiles, config.ssl)),
    globals: planIpvsGlobals(config.globalDefs),
  };
}

/**
 * Below the VRRP engine unless the configuration says otherwise: with neither
 * checker_priority nor checker_rt_priority the director runs at this nice value, where
 * keepalived's checker runs at 0. Programming 40,000 destinations or decoding a reload keeps a
 * CPU busy for seconds, and on a small box (the benchmark's two emulated CPUs) a VRRP engine
 * at the same priority then missed 10 ms adverts long enough for its peer to take over.
 */
export const DIRECTOR_DEFAULT_NICE = 10;

export function directorScheduling(configured: ProcessScheduling | undefined): ProcessScheduling {
  if (configured?.nice !== undefined || configured?.rtPriority !== undefined) return configured;
  return { ...configured, nice: DIRECTOR_DEFAULT_NICE };
}

/** The kernel's IPVS as the director uses it: the table, and the kernel-wide settings. */
export async function openDirectorKernel(clock: Clock): Promise<KernelOpen> {
  const opened = await openIpvsKernel({ clock });
  return opened.ok ? { ok: true, kernel: opened.kernel, settings: opened.kernel, close: () => opened.kernel.close() } : { ok: false, reason: opened.reason };
}

/** Everything DirectorService takes from this host: the real kernel, /proc, the script runner and accounts. */
export function hostDirectorDeps(options: { send: DirectorServiceDeps["send"]; clock: Clock; logger: Logger; ownership: OwnershipPort }): DirectorServiceDeps {
  const { clock } = options;
  return {
    ...options,
    openKernel: () => openDirectorKernel(clock),
    watchAddresses: watchHostAddresses(clock, options.logger),
    host: procHost(),
    plan: planDirector,
    scripts: {
      runner: createProcessRunner(clock),
      accounts: readAccountDatabase(),
      daemonIdentity: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
      securityFs: nodeSecurityFs,
    },
  };
}

export async function directorCommand(): Promise<number> {
  const link = parentLink<ToDirector, FromDirector>();
  const clock = systemClock();
  let service: DirectorService | undefined;
  let stopBeforeStart: string | undefined;
  const stop = (reason: string) => (service ? void service.stop(reason).then(() => process.exit(0)) : (stopBeforeStart ??= reason));
  // The supervisor stops it with a message, after the engine has released the VIPs; a
  // `kill $(pidof tandem)` must not remove the services before that.
  process.on("SIGTERM", () => {});
  process.on("SIGINT", () => {});
  process.on("SIGHUP", () => {});
  link.onDisconnect(() => stop("the supervisor is gone"));

  const start = decodeStart(await link.next("start"));
  // checker_priority, checker_rt_priority, ...: keepalived's checker process keywords.
  const logger = setUpChild("director", start.log, directorScheduling(start.config.globalDefs.checkerProcess), clock);
  if (!logger) return 2;
  if (stopBeforeStart) return 0;
  const owned = IpvsOwnership.open(start.ownershipFile, clock.wallMs());
  if (!owned.ok) logger.error(`${owned.reason}; tandem cannot tell its own IPVS services from others' and will only touch those in the configuration`);
  const ownership = owned.ok ? owned.ownership : { owned: () => new Set<string>(), replace: () => ({ ok: true as const }) };
  service = new DirectorService(hostDirectorDeps({ send: (message) => link.send(message), clock, logger, ownership }), start);
  link.onMessage((message) => {
    if (message.type === "stop") stop(message.reason);
    else service!.handle(message);
  });
  process.on("uncaughtException", (error) => {
    logger.error(`internal error: ${error.stack ?? error.message}; the supervisor restarts the director`);
    process.exit(70);
  });
  await service.start();
  return new Promise<number>(() => {});
}
