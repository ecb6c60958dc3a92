// A box's own disk for the image tier: a sparse copy of out/tandem.img whose data
// partition gets the box's node.conf and keepalived.conf through image/configure-disk.sh,
// the way an operator configures a disk before flashing it.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { sh } from "./private-l2.ts";

export const ROOT = resolve(import.meta.dir, "../../..");
/** The image to flash: $TANDEM_IMAGE_DIR's (as the IPVS tier reads it), else this tree's out/ (make image). */
export const DISK_IMAGE = join(process.env.TANDEM_IMAGE_DIR ?? join(ROOT, "out"), "tandem.img");

/**
 * `token`, when given, is written as the box's API token, and `tls` as its API certificate
 * and key (PEM files); first-boot then keeps them instead of making its own.
 */
export function makeBoxDisk(
  dir: string,
  box: { name: string; address: string; keepalivedConf: string; token?: string; tls?: { certificate: string; key: string } },
): string {
  const disk = join(dir, `disk-${box.name}.img`);
  sh(["cp", "--sparse=always", DISK_IMAGE, disk]);
  const nodeConf = join(dir, `node-${box.name}.conf`);
  writeFileSync(nodeConf, `# box ${box.name}, written by the image tier\nHOSTNAME=box-${box.name}\nINTERFACE=eth0\nADDRESS=${box.address}\n`);
  const extra: string[] = [];
  if (box.token) {
    const tokenFile = join(dir, `token-${box.name}`);
    writeFileSync(tokenFile, `${box.token}\n`);
    extra.push("--put", `${tokenFile}:/var/lib/tandem/api-token`);
  }
  if (box.tls) extra.push("--put", `${box.tls.certificate}:/var/lib/tandem/api-cert.pem`, "--put", `${box.tls.key}:/var/lib/tandem/api-key.pem`);
  sh([join(ROOT, "image", "configure-disk.sh"), disk, "--node", nodeConf, "--config", box.keepalivedConf, ...extra]);
  return disk;
}
