// Errors from syscalls and netlink acks with a stable `code` callers test against; the errno
// numbers and names themselves live in netlink/linux-errno.ts (pure, shared with the codecs).

export {
  EACCES,
  EADDRINUSE,
  EADDRNOTAVAIL,
  EAFNOSUPPORT,
  EAGAIN,
  EBADF,
  EBUSY,
  EEXIST,
  EHOSTUNREACH,
  EINTR,
  EINVAL,
  EMSGSIZE,
  ENETDOWN,
  ENETUNREACH,
  ENOBUFS,
  ENODEV,
  ENOENT,
  ENOMEM,
  ENOPROTOOPT,
  EOPNOTSUPP,
  EPERM,
  EPROTONOSUPPORT,
  ERANGE,
  ESRCH,
  ETIMEDOUT,
  errnoName,
} from "../netlink/linux-errno.ts";
import { errnoName } from "../netlink/linux-errno.ts";

/**
 * An operating-system error with the failed operation, where it happened and the errno.
 * Message shape: `setsockopt(IP_ADD_MEMBERSHIP) on eth0: No such device (errno 19)`.
 */
export class SystemError extends Error {
  override readonly name = "SystemError";
  /** e.g. "EEXIST": stable, for callers to branch on. */
  readonly code: string;

  constructor(
    readonly operation: string,
    readonly errno: number,
    description: string,
    detail?: string,
  ) {
    super(`${operation}: ${description} (errno ${errno})${detail ? `: ${detail}` : ""}`);
    this.code = errnoName(errno);
  }
}
