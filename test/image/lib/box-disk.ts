// A box's own disk for the image tier: a sparse copy of out/tandem.img whose data
// partition gets the box's node.conf and keepalived.conf through image/configure-disk.sh,
// the way an operator configures a disk before flashing it.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { sh } from "./private-l2.ts";

export const ROOT = resolve(import.meta.dir, "../../..");
export const DISK_IMAGE = join(ROOT, "out", "tandem.img");

export function makeBoxDisk(dir: string, box: { name: string; address: string; keepalivedConf: string }): string {
  const disk = join(dir, `disk-${box.name}.img`);
  sh(["cp", "--sparse=always", DISK_IMAGE, disk]);
  const nodeConf = join(dir, `node-${box.name}.conf`);
  writeFileSync(nodeConf, `# box ${box.name}, written by the image tier\nHOSTNAME=box-${box.name}\nINTERFACE=eth0\nADDRESS=${box.address}\n`);
  sh([join(ROOT, "image", "configure-disk.sh"), disk, "--node", nodeConf, "--config", box.keepalivedConf]);
  return disk;
}
