// One datagram to an AF_UNIX SOCK_DGRAM socket: how sd_notify(3) talks to systemd
// (Type=notify units, as Debian's keepalived.service is). Abstract names start with "@".
import { closeFd, openSocket, sendTo } from "./libc.ts";
import { SOCK_CLOEXEC } from "./libc-structs.ts";

const AF_UNIX = 1; // <sys/socket.h>
const SOCK_DGRAM = 2; // <bits/socket_type.h>
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

export function sendUnixDatagram(path: string, message: string): void {
  const fd = openSocket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, "socket(AF_UNIX, SOCK_DGRAM)", path);
  try {
    sendTo(fd, new TextEncoder().encode(message), encodeSockaddrUn(path), "sendto", path);
  } finally {
    closeFd(fd);
  }
}
