// Generic netlink's ABI (<linux/genetlink.h>): the genlmsghdr, the controller family that
// resolves family names to ids, and its attributes, under their kernel names.

/** struct genlmsghdr { __u8 cmd; __u8 version; __u16 reserved; }, NLMSG_ALIGNed. */
export const GENL_HDRLEN = 4;
/** Family names are at most 15 bytes plus NUL. */
export const GENL_NAMSIZ = 16;
export const GENL_MIN_ID = 0x10; // NLMSG_MIN_TYPE
export const GENL_MAX_ID = 1023;

// Operation flags (CTRL_ATTR_OP_FLAGS)
export const GENL_ADMIN_PERM = 0x01;
export const GENL_CMD_CAP_DO = 0x02;
export const GENL_CMD_CAP_DUMP = 0x04;
export const GENL_CMD_CAP_HASPOL = 0x08;
export const GENL_UNS_ADMIN_PERM = 0x10;

/** The controller's own, fixed family id. */
export const GENL_ID_CTRL = 0x10;
/** The version the controller's requests carry (libnl's genl_ctrl_resolve sends 1; the kernel answers with 2). */
export const CTRL_REQUEST_VERSION = 1;

// enum CTRL_CMD_*
export const CTRL_CMD_UNSPEC = 0;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_DELFAMILY = 2;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_CMD_NEWOPS = 4;
export const CTRL_CMD_DELOPS = 5;
export const CTRL_CMD_GETOPS = 6;
export const CTRL_CMD_NEWMCAST_GRP = 7;
export const CTRL_CMD_DELMCAST_GRP = 8;
export const CTRL_CMD_GETMCAST_GRP = 9;
export const CTRL_CMD_GETPOLICY = 10;

// enum CTRL_ATTR_*
export const CTRL_ATTR_UNSPEC = 0;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_HDRSIZE = 4;
export const CTRL_ATTR_MAXATTR = 5;
export const CTRL_ATTR_OPS = 6;
export const CTRL_ATTR_MCAST_GROUPS = 7;
export const CTRL_ATTR_POLICY = 8;
export const CTRL_ATTR_OP_POLICY = 9;
export const CTRL_ATTR_OP = 10;

// enum CTRL_ATTR_OP_* (inside each CTRL_ATTR_OPS entry)
export const CTRL_ATTR_OP_UNSPEC = 0;
export const CTRL_ATTR_OP_ID = 1;
export const CTRL_ATTR_OP_FLAGS = 2;

// enum CTRL_ATTR_MCAST_GRP_* (inside each CTRL_ATTR_MCAST_GROUPS entry)
export const CTRL_ATTR_MCAST_GRP_UNSPEC = 0;
export const CTRL_ATTR_MCAST_GRP_NAME = 1;
export const CTRL_ATTR_MCAST_GRP_ID = 2;
