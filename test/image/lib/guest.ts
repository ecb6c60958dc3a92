// One appliance under qemu (TCG) for the image tier: its serial console is a unix socket
// the test types into (a root shell after busybox init's "press Enter"), logged in full to
// a file the assertions read. Boots either the flashable disk (BIOS -> SYSLINUX -> stage 1
// -> squashfs root) or the kernel + initramfs directly.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export const QEMU = "qemu-system-x86_64";
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Reads of one piece of a command's output before giving up: each is checked against the guest's MD5. */
const READ_ATTEMPTS = 8;
/** Lines per piece: short enough that the log rarely breaks into one. */
const READ_LINES = 8;

export type Boot =
  | { disk: string } // a raw disk image, booted by the BIOS like a real box
  | { kernel: string; initrd: string; append: string; disk?: string };

export type Nic =
  | { tap: string; netns: string; mac: string } // a tap on the test's private bridge
  | { isolated: true }; // a NIC on a qemu hub with no other port: reaches nothing

export class Guest {
  qemu: ReturnType<typeof Bun.spawn> | undefined;
  startedMs = 0;
  readonly serialPath: string;
  readonly consolePath: string;
  private socket: Awaited<ReturnType<typeof Bun.connect>> | undefined;
  private commands = 0;
  /** The serial log's length when the current boot started: per-boot assertions read after it. */
  private bootOffset = 0;

  constructor(
    readonly name: string,
    readonly boot: Boot,
    readonly nic: Nic,
    dir: string,
    /** The guest's memory: the image tier's default fits every tandem process with room to spare. */
    readonly memoryMb = 512,
  ) {
    this.serialPath = join(dir, `serial-${name}.log`);
    this.consolePath = join(dir, `console-${name}.sock`);
  }

  get mac(): string | undefined {
    return "mac" in this.nic ? this.nic.mac : undefined;
  }

  /** Starts qemu; the serial log keeps growing across boots (see sinceBoot). */
  start(): void {
    if (this.running()) throw new Error(`box ${this.name} is already running`);
    this.socket = undefined;
    this.commands = 0;
    this.bootOffset = this.serial().length;
    rmSync(this.consolePath, { force: true });
    const net =
      "tap" in this.nic
        ? ["-netdev", `tap,id=n0,ifname=${this.nic.tap},script=no,downscript=no`, "-device", `virtio-net-pci,netdev=n0,mac=${this.nic.mac},romfile=`]
        : ["-netdev", "hubport,id=n0,hubid=0", "-device", "virtio-net-pci,netdev=n0,romfile="];
    const boot = "kernel" in this.boot ? ["-kernel", this.boot.kernel, "-initrd", this.boot.initrd, "-append", this.boot.append] : [];
    const disk = this.boot.disk ? ["-drive", `file=${this.boot.disk},format=raw,if=virtio`] : [];
    const prefix = "netns" in this.nic ? ["ip", "netns", "exec", this.nic.netns] : []; // exec's qemu: the pid is qemu's
    this.startedMs = performance.now();
    this.qemu = Bun.spawn(
      [
        ...prefix,
        QEMU,
        "-accel",
        "tcg",
        "-cpu",
        "max",
        "-m",
        String(this.memoryMb),
        "-nographic",
        "-no-reboot",
        // Never a default NIC (it could reach out): only the one above.
        "-nic",
        "none",
        ...net,
        ...disk,
        ...boot,
        // Appends to the log, so a reboot's console follows the previous one's.
        "-chardev",
        `socket,id=console,path=${this.consolePath},server=on,wait=off,logfile=${this.serialPath},logappend=on`,
        "-serial",
        "chardev:console",
        "-monitor",
        "none",
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
    );
  }

  serial = (): string => (existsSync(this.serialPath) ? readFileSync(this.serialPath, "utf8") : "");
  /** The console output of the current boot only. */
  sinceBoot = (): string => this.serial().slice(this.bootOffset);
  tail = (lines = 40): string => `--- box ${this.name} (${this.serialPath}), last ${lines} lines:\n` + this.serial().split("\n").slice(-lines).join("\n");
  // A qemu killed by a signal has no exit code, only a signal code.
  running = (): boolean => this.qemu !== undefined && this.qemu.exitCode === null && this.qemu.signalCode === null;

  /** Pulls the plug: SIGKILL to qemu (the guest gets no warning, its page cache is lost). */
  async kill(): Promise<void> {
    this.socket?.end();
    this.socket = undefined;
    if (this.running()) {
      this.qemu!.kill("SIGKILL");
      await this.qemu!.exited;
    }
  }

  /** Waits for qemu to exit by itself (a poweroff or reboot under -no-reboot). */
  async exited(timeoutMs: number): Promise<void> {
    const done = await Promise.race([this.qemu!.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) throw new Error(`box ${this.name}: qemu still running ${timeoutMs} ms later.\n${this.tail()}`);
    this.socket?.end();
    this.socket = undefined;
  }

  /** Waits until this boot's console output matches; returns ms since qemu started. */
  async waitForConsole(pattern: RegExp, what: string, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (pattern.test(this.sinceBoot())) return performance.now() - this.startedMs;
      if (!this.running()) throw new Error(`box ${this.name}: ${what}: qemu exited with status ${this.qemu?.exitCode}.\n${this.tail()}`);
      await sleep(50);
    }
    throw new Error(`box ${this.name}: ${what}: not within ${timeoutMs} ms.\n${this.tail()}`);
  }

  /**
   * Runs a command in the console's root shell and returns its output. The console is shared
   * with the daemon's log, and the emulated serial port sometimes doubles a character in a long
   * burst; so the output goes to a file first and is read back a few lines at a time, each line
   * marked, each piece until its marked lines (the log's own lines between them dropped) match
   * the guest's MD5 of that piece: a long output is never one long burst, and a piece the log
   * broke into is read again alone. The command itself runs once.
   */
  async run(command: string, timeoutMs = 20_000): Promise<string> {
    if (!this.socket) {
      this.socket = await Bun.connect({ unix: this.consolePath, socket: { data() {} } });
      this.socket.write("\n"); // busybox init's askfirst: "Please press Enter to activate this console."
      await sleep(500);
    }
    const n = ++this.commands;
    const out = `/tmp/.console-${n}`;
    // The tty echoes what is typed; quoting splits the markers so only the output matches.
    this.socket.write(`{ ${command}\n} >${out} 2>&1; echo "@@"DONE-${n}\n`);
    await this.waitForConsole(new RegExp(`@@DONE-${n}\\r?\\n`), `console command: ${command}`, timeoutMs);
    let output = "";
    for (let first = 1; ; first += READ_LINES) {
      const piece = await this.readPiece(command, out, `${n}.${first}`, `${first},${first + READ_LINES - 1}p`, timeoutMs);
      if (piece === "") break;
      output += piece;
    }
    this.socket.write(`rm -f ${out} ${out}.piece\n`);
    return output.trim();
  }

  /** Lines `range` (a sed range) of the guest's file `out`, read until they arrive intact. */
  private async readPiece(command: string, out: string, id: string, range: string, timeoutMs: number): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const read = `${id}.${attempt}`;
      const mark = `@@L${read}:`;
      const [head, tail] = [mark.slice(0, 2), mark.slice(2)];
      const piece = `${out}.piece`;
      this.socket!.write(
        `sed -n "${range}" ${out} >${piece}; echo "@@"BEGIN-${read}; sed "s/^/${head}""${tail}/" ${piece}; echo "@@"SUM-${read} $(md5sum <${piece})\n`,
      );
      await this.waitForConsole(new RegExp(`@@SUM-${read} ([0-9a-f]{32})`), `console read of: ${command}`, timeoutMs);
      const text = this.sinceBoot();
      const start = text.lastIndexOf(`@@BEGIN-${read}\r\n`) + `@@BEGIN-${read}\r\n`.length;
      const end = text.lastIndexOf(`@@SUM-${read} `);
      const sum = text.slice(end + `@@SUM-${read} `.length, end + `@@SUM-${read} `.length + 32);
      // A file without a final newline leaves its last line and the sum on one console line.
      const pieces = text.slice(start, end).split("\r\n");
      const last = pieces.pop()!;
      const lines = pieces.filter((line) => line.startsWith(mark)).map((line) => `${line.slice(mark.length)}\n`);
      if (last.startsWith(mark)) lines.push(last.slice(mark.length));
      const output = lines.join("");
      if (new Bun.CryptoHasher("md5").update(output).digest("hex") === sum) return output;
      if (attempt === READ_ATTEMPTS) {
        throw new Error(`box ${this.name}: console read of ${command}: lines ${range} never arrived intact in ${READ_ATTEMPTS} reads`);
      }
      // The daemon's log comes in bursts (a start, a transition); the next read waits one out.
      await sleep(250 * attempt);
    }
  }

  /** The last state VRRP instance `instance` moved to in this boot, from the console. */
  lastState(instance: string): string | undefined {
    const all = [...this.sinceBoot().matchAll(new RegExp(`${instance}: \\w+ -> (\\w+)`, "g"))];
    return all.at(-1)?.[1];
  }
}
