// A NETLINK_ROUTE socket subscribed to multicast groups, for the monitors that follow links and
// addresses (rtnetlink-monitor.ts for the VRRP engine, address-monitor.ts for ha_suspend): the
// socket opened with a queue big enough for bursts, bound to the groups, the state read once
// subscribed (so that no change falls between the two), then every message handed on as it
// comes until close() or a receive error. Event driven, no polling.
import { readDatagramChunks } from "./datagram-stream.ts";
import { bindSocket, closeFd, openSocket, setIntSocketOption } from "./libc.ts";
import { AF_NETLINK, encodeSockaddrNl, NETLINK_ROUTE, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET, SO_RCVBUFFORCE } from "./libc-structs.ts";
import { decodeMessages, type NetlinkMessage } from "../netlink/netlink-codec.ts";

/** A host with thousands of addresses changes them in bursts; root may exceed rmem_max (FORCE). */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;

export interface RouteSubscriptionOptions<T> {
  groups: number;
  /** "RTMGRP_LINK|RTMGRP_IPV4_IFADDR", for errors. */
  groupNames: string;
  /** "link monitor", the prefix of its errors. */
  name: string;
  /** The state the messages change, read once subscribed and before any message is handed on. */
  snapshot(): T | Promise<T>;
  onMessage(message: NetlinkMessage): void;
  /** Receive failures (ENOBUFS: messages were lost; subscribe again). Reception stops after one. */
  onError(error: Error): void;
}

export interface RouteSubscription<T> {
  snapshot: T;
  /** Idempotent; no message is handed on once called. Settles when the socket is released. */
  close(): Promise<void>;
}

export async function subscribeRoute<T>(options: RouteSubscriptionOptions<T>): Promise<RouteSubscription<T>> {
  const { name } = options;
  const fd = openSocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", `for the ${name}`);
  let snapshot: T;
  try {
    try {
      setIntSocketOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER_BYTES, "SO_RCVBUFFORCE");
    } catch {
      // Not root (CAP_NET_ADMIN): the default queue still works, it just overflows sooner.
    }
    bindSocket(fd, encodeSockaddrNl(0, options.groups), `sockaddr_nl ${options.groupNames}`);
    // Subscribed: from here on every change is queued, so the snapshot cannot miss one.
    snapshot = await options.snapshot();
  } catch (error) {
    closeFd(fd);
    throw error;
  }

  let closed = false;
  let closing: Promise<void> | undefined;
  const reader = readDatagramChunks(
    fd,
    (chunk) => {
      // Several datagrams may arrive in one chunk; netlink framing spans them all.
      const { messages, problem } = decodeMessages(chunk);
      for (const message of messages) {
        if (closed) return;
        options.onMessage(message);
      }
      if (problem && !closed) options.onError(new Error(`${name}: malformed netlink data: ${problem}`));
    },
    (error) => {
      if (!closed) options.onError(new Error(`${name}: ${error.message}`));
    },
  );

  return {
    snapshot,
    close() {
      if (!closing) {
        closed = true;
        closing = reader.stop();
        closeFd(fd);
      }
      return closing;
    },
  };
}
