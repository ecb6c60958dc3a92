// sd_notify(3) without libsystemd: READY=1 once the instances run (Debian's
// keepalived.service is Type=notify), RELOADING=1 / STOPPING=1 around reloads and stops.
import type { Logger } from "../../common/logger.ts";
import { sendUnixDatagram } from "../../net/unix-datagram.ts";

export function notifySystemd(message: string, logger: Logger): void {
  const socket = process.env.NOTIFY_SOCKET;
  if (!socket) return;
  try {
    sendUnixDatagram(socket, message);
  } catch (error) {
    logger.warn(`cannot notify systemd (${message}) at ${socket}: ${(error as Error).message}`);
  }
}
