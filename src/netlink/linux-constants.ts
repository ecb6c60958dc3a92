// Constants of Linux's ABI that netlink messages carry (address families, name sizes),
// named as in the kernel headers. net/ re-exports them for its socket structs.

// <bits/socket.h>, <linux/socket.h>
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;

// <netinet/in.h> IPPROTO_*: the transport protocols IPVS balances
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** <linux/if.h> IFNAMSIZ: interface names are at most 15 bytes plus NUL. */
export const IFNAMSIZ = 16;
