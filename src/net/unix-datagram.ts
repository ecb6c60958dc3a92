// Datagrams to an AF_UNIX SOCK_DGRAM socket: how sd_notify(3) talks to systemd (Type=notify
// units, as Debian's keepalived.service is) and how syslog(3) reaches /dev/log.
// Abstract socket names start with "@".
import { closeFd, openSocket, sendTo } from "./libc.ts";
import { SOCK_CLOEXEC } from "./libc-structs.ts";

const AF_UNIX = 1; // <sys/socket.h>
const SOCK_DGRAM = 2; // <bits/socket_type.h>
const MSG_DONTWAIT = 0x40; // <sys/socket.h>: never block the daemon on a stalled reader
const SUN_PATH_MAX = 108; // <sys/un.h>: char sun_path[108]

/** struct sockaddr_un; a leading "@" names an abstract socket (sun_path[0] = NUL). */
export function encodeSockaddrUn(path: string): Uint8Array {
  const name = new TextEncoder().encode(path.startsWith("@") ? `\0${path.slice(1)}` : path);
  if (name.length >= SUN_PATH_MAX) throw new Error(`unix socket path too long (${name.length} bytes; at most ${SUN_PATH_MAX - 1}): ${path}`);
  // Abstract names are length-delimited: pass exactly family + name, no trailing NUL.
  const size = path.startsWith("@") ? 2 + name.length : 2 + name.length + 1;
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint16(0, AF_UNIX, true);
  bytes.set(name, 2);
  return bytes;
}

export interface UnixDatagramSender {
  /** Throws SystemError when the receiver is gone or its queue is full. */
  send(message: string): void;
  close(): void;
}

/** A datagram socket kept open for repeated sends to one path. */
export function openUnixDatagramSender(path: string): UnixDatagramSender {
  const address = encodeSockaddrUn(path);
  const fd = openSocket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, "socket(AF_UNIX, SOCK_DGRAM)", path);
  const encoder = new TextEncoder();
  let open = true;
  return {
    send: (message) => void sendTo(fd, encoder.encode(message), address, "sendto", path, MSG_DONTWAIT),
    close: () => {
      if (open) closeFd(fd);
      open = false;
    },
  };
}

export function sendUnixDatagram(path: string, message: string): void {
  const sender = openUnixDatagramSender(path);
  try {
    sender.send(message);
  } finally {
    sender.close();
  }
}
