// The one dlopen of libc.so.6 and thin, throwing wrappers over the socket calls the VRRP
// engine needs. The only file in Tandem that imports bun:ffi (DESIGN.md).
import { dlopen, ptr, read, type Pointer } from "bun:ffi";
import { EAGAIN, SystemError } from "./errno.ts";
import { decodeMsghdrResult, encodeCString, encodeInt32, encodeIovec, encodeMsghdr, MSG_DONTWAIT, MSG_ERRQUEUE } from "./libc-structs.ts";

// The handle is the module's only state, and it is immutable after load.
const libc = dlopen("libc.so.6", {
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  sendto: { args: ["i32", "ptr", "u64", "i32", "ptr", "u32"], returns: "i64" },
  recvfrom: { args: ["i32", "ptr", "u64", "i32", "ptr", "ptr"], returns: "i64" },
  recvmsg: { args: ["i32", "ptr", "i32"], returns: "i64" },
  // Variadic in C; its one extra argument here is an int, passed in a register as any other.
  fcntl: { args: ["i32", "i32", "i32"], returns: "i32" },
  close: { args: ["i32"], returns: "i32" },
  mkfifo: { args: ["ptr", "u32"], returns: "i32" },
  if_nametoindex: { args: ["ptr"], returns: "u32" },
  setpriority: { args: ["i32", "u32", "i32"], returns: "i32" },
  sched_setscheduler: { args: ["i32", "i32", "ptr"], returns: "i32" },
  sched_setaffinity: { args: ["i32", "u64", "ptr"], returns: "i32" },
  prlimit: { args: ["i32", "i32", "ptr", "ptr"], returns: "i32" },
  mlockall: { args: ["i32"], returns: "i32" },
  strerror: { args: ["i32"], returns: "cstring" },
  __errno_location: { args: [], returns: "ptr" },
});
const sym = libc.symbols;

/**
 * errno of the call that just failed. Read straight after the failing call, before any
 * other JS that could enter libc: errno is thread-local and JS runs on this one thread.
 */
function lastErrno(): number {
  return read.i32(sym.__errno_location() as Pointer, 0);
}

export function describeErrno(errno: number): string {
  return String(sym.strerror(errno));
}

function fail(operation: string, where: string | undefined, errno = lastErrno()): never {
  throw new SystemError(where ? `${operation} ${where}` : operation, errno, describeErrno(errno));
}

/** socket(2). `what` names the socket in errors, e.g. "socket(AF_INET, SOCK_RAW, 112)". */
export function openSocket(domain: number, type: number, protocol: number, what: string, where?: string): number {
  const fd = sym.socket(domain, type, protocol);
  if (fd < 0) fail(what, where);
  return fd;
}

export function setSocketOption(fd: number, level: number, name: number, value: Uint8Array, optionName: string, where?: string): void {
  if (sym.setsockopt(fd, level, name, value, value.byteLength) !== 0) fail(`setsockopt(${optionName})`, where);
}

export function setIntSocketOption(fd: number, level: number, name: number, value: number, optionName: string, where?: string): void {
  setSocketOption(fd, level, name, encodeInt32(value), optionName, where);
}

export function getIntSocketOption(fd: number, level: number, name: number, optionName: string, where?: string): number {
  const value = new Int32Array(1);
  const length = new Uint32Array([4]);
  if (sym.getsockopt(fd, level, name, value, length) !== 0) fail(`getsockopt(${optionName})`, where);
  return value[0] as number;
}

export function bindSocket(fd: number, address: Uint8Array, what: string, where?: string): void {
  if (sym.bind(fd, address, address.byteLength) !== 0) fail(`bind(${what})`, where);
}

/**
 * connect(2); returns 0 when connected, else the errno, not a throw: on a non-blocking socket
 * EINPROGRESS is the usual answer, and the caller names the real failures in its own terms.
 */
export function connectSocket(fd: number, address: Uint8Array): number {
  return sym.connect(fd, address, address.byteLength) === 0 ? 0 : lastErrno();
}

/** getsockname(2) into a buffer of the given size; returns the bytes the kernel filled in. */
export function socketName(fd: number, size: number, where?: string): Uint8Array {
  const address = new Uint8Array(size);
  const length = new Uint32Array([size]);
  if (sym.getsockname(fd, address, length) !== 0) fail("getsockname", where);
  return address.subarray(0, Math.min(size, length[0] as number));
}

/** sendto(2); returns the bytes sent. A datagram socket sends all or fails. */
export function sendTo(fd: number, data: Uint8Array, destination: Uint8Array | null, what: string, where?: string, flags = 0): number {
  if (data.byteLength === 0) throw new Error(`${what} ${where ?? ""}: refusing to send an empty datagram`.trim());
  const sent = Number(sym.sendto(fd, data, data.byteLength, flags, destination, destination ? destination.byteLength : 0));
  if (sent < 0) fail(what, where);
  return sent;
}

/**
 * recvfrom(2) into buffer; returns the datagram's length (may exceed the buffer with
 * MSG_TRUNC), or throws. Blocking unless flags has MSG_DONTWAIT.
 */
export function receiveFrom(fd: number, buffer: Uint8Array, flags: number, what: string, where?: string): number {
  const received = Number(sym.recvfrom(fd, buffer, buffer.byteLength, flags, null, null));
  if (received < 0) fail(what, where);
  return received;
}

/** <fcntl.h>: a new descriptor for the same open socket, close-on-exec (notify scripts must not inherit it). */
const F_DUPFD_CLOEXEC = 1030;

/**
 * A second descriptor of the same socket. The socket lives until both are closed: one can be
 * given to Bun's event loop, which closes it when it likes, and the other kept to read
 * what Bun does not (the error queue).
 */
export function duplicateFd(fd: number, where?: string): number {
  const copy = sym.fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) fail("fcntl(F_DUPFD_CLOEXEC)", where);
  return copy;
}

/**
 * One entry of the socket's error queue, read with recvmsg(MSG_ERRQUEUE | MSG_DONTWAIT): the
 * control messages it came with (socket-error-queue.ts reads them), or undefined when the
 * queue is empty. The datagram part (the start of the packet that failed) is not kept.
 */
export function receiveErrorQueue(fd: number, where?: string): Uint8Array | undefined {
  const name = new Uint8Array(128);
  const payload = new Uint8Array(64);
  const control = new Uint8Array(512);
  const iov = encodeIovec(ptr(payload), payload.byteLength);
  const header = encodeMsghdr({
    name: ptr(name),
    nameLength: name.byteLength,
    iov: ptr(iov),
    iovCount: 1,
    control: ptr(control),
    controlLength: control.byteLength,
  });
  const received = Number(sym.recvmsg(fd, header, MSG_ERRQUEUE | MSG_DONTWAIT));
  if (received < 0) {
    const errno = lastErrno();
    if (errno === EAGAIN) return undefined;
    fail("recvmsg(MSG_ERRQUEUE)", where, errno);
  }
  return control.subarray(0, decodeMsghdrResult(header).controlLength);
}

export function closeFd(fd: number): void {
  // close(2) may report EINTR/EIO but the descriptor is released either way on Linux: retrying is wrong.
  sym.close(fd);
}

/** mkfifo(3) with `mode` (before the umask); throws a SystemError (code "EEXIST" when the path is taken). */
export function makeFifo(path: string, mode: number): void {
  if (sym.mkfifo(encodeCString(path), mode) !== 0) fail("mkfifo", path);
}

/** if_nametoindex(3) in this process's network namespace. */
export function interfaceIndex(interfaceName: string): number {
  const index = sym.if_nametoindex(encodeCString(interfaceName));
  if (index === 0) fail("if_nametoindex", `for "${interfaceName}"`);
  return index;
}

const PRIO_PROCESS = 0;

/** setpriority(2) on another process: its nice value (-20..19; higher yields more CPU to others). */
export function setProcessNice(pid: number, nice: number): void {
  if (sym.setpriority(PRIO_PROCESS, pid, nice) !== 0) fail("setpriority", `of process ${pid}`);
}

// <bits/sched.h>, <bits/resource.h>, <sys/mman.h>
const SCHED_RR = 2;
/** Children (the scripts the engine runs) start with the default policy, as keepalived does. */
const SCHED_RESET_ON_FORK = 0x40000000;
const RLIMIT_RTTIME = 15;
const MCL_CURRENT = 1;
const MCL_FUTURE = 2;
const MCL_ONFAULT = 4;

/** sched_setscheduler(2): SCHED_RR at `priority` (1..99) for one thread (a tid; a pid is its main thread). */
export function setRealtimePriority(tid: number, priority: number): void {
  const param = new Int32Array([priority]);
  if (sym.sched_setscheduler(tid, SCHED_RR | SCHED_RESET_ON_FORK, param) !== 0) fail("sched_setscheduler(SCHED_RR)", `of ${tid}`);
}

/** sched_setaffinity(2): the CPUs (0-based numbers, below 1024) one thread may run on. */
export function setCpuAffinity(tid: number, cpus: readonly number[]): void {
  const mask = new BigUint64Array(16);
  for (const cpu of cpus) mask[cpu >> 6]! |= 1n << BigInt(cpu & 63);
  if (sym.sched_setaffinity(tid, mask.byteLength, mask) !== 0) fail("sched_setaffinity", `of ${tid}`);
}

/**
 * prlimit(2) RLIMIT_RTTIME: microseconds of CPU a realtime thread may use without blocking.
 * As keepalived: SIGXCPU at half of it (a warning), SIGKILL at all of it.
 */
export function setRealtimeCpuLimit(pid: number, microseconds: number): void {
  const limit = new BigUint64Array([BigInt(Math.floor(microseconds / 2)), BigInt(microseconds)]);
  if (sym.prlimit(pid, RLIMIT_RTTIME, limit, null) !== 0) fail("prlimit(RLIMIT_RTTIME)", `of ${pid}`);
}

/**
 * mlockall(2) for this process, pages locked as they are touched (MCL_ONFAULT): Bun
 * reserves gigabytes of address space it never uses, which must not be made resident.
 */
export function lockMemory(): void {
  if (sym.mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) !== 0) fail("mlockall", undefined);
}
