// Constants of Linux's ABI that netlink messages carry (address families, name sizes),
// named as in the kernel headers. net/ re-exports them for its socket structs.

// <bits/socket.h>, <linux/socket.h>
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_NETLINK = 16;

/** <linux/if.h> IFNAMSIZ: interface names are at most 15 bytes plus NUL. */
export const IFNAMSIZ = 16;
