// Linux errno numbers and names (<asm-generic/errno-base.h>, <asm-generic/errno.h>), so that
// netlink acks and syscall errors carry a stable name ("EEXIST") callers can branch on. Pure:
// the netlink and IPVS codecs name errors with it; net/ re-exports it for its SystemError.

/** The errnos callers branch on or are likely to see; others print as "E<n>". */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ERANGE = 34;
export const EMSGSIZE = 90;
export const ENOPROTOOPT = 92;
export const EPROTONOSUPPORT = 93;
export const EOPNOTSUPP = 95;
export const EAFNOSUPPORT = 97;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETDOWN = 100;
export const ENETUNREACH = 101;
export const ENOBUFS = 105;
export const ETIMEDOUT = 110;
export const EHOSTUNREACH = 113;

const names: Record<number, string> = {
  [EPERM]: "EPERM",
  [ENOENT]: "ENOENT",
  [ESRCH]: "ESRCH",
  [EINTR]: "EINTR",
  [EBADF]: "EBADF",
  [EAGAIN]: "EAGAIN",
  [ENOMEM]: "ENOMEM",
  [EACCES]: "EACCES",
  [EBUSY]: "EBUSY",
  [EEXIST]: "EEXIST",
  [ENODEV]: "ENODEV",
  [EINVAL]: "EINVAL",
  [ERANGE]: "ERANGE",
  [EMSGSIZE]: "EMSGSIZE",
  [ENOPROTOOPT]: "ENOPROTOOPT",
  [EPROTONOSUPPORT]: "EPROTONOSUPPORT",
  [EOPNOTSUPP]: "EOPNOTSUPP",
  [EAFNOSUPPORT]: "EAFNOSUPPORT",
  [EADDRINUSE]: "EADDRINUSE",
  [EADDRNOTAVAIL]: "EADDRNOTAVAIL",
  [ENETDOWN]: "ENETDOWN",
  [ENETUNREACH]: "ENETUNREACH",
  [ENOBUFS]: "ENOBUFS",
  [ETIMEDOUT]: "ETIMEDOUT",
  [EHOSTUNREACH]: "EHOSTUNREACH",
};

export function errnoName(errno: number): string {
  return names[errno] ?? `E${errno}`;
}
