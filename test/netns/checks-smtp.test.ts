// SMTP_CHECK of the built binary against Debian's OpenSMTPD (scripts/install-test-servers.sh)
// on the client box, the ways a mail server really fails injected into it: a refused HELO (a
// table its helo filter reads, updated at run time with smtpctl), a hung process (SIGSTOP: the
// kernel still completes the handshake, no banner comes), a stopped one (SIGKILL: connection
// refused), and on a second port a server whose banner is always 554. tandem runs with -C (no
// IPVS on the host: the director is unavailable, the checks run and say so in the log). The
// detection times are measured from the fault to the log line and checked against what the
// configuration implies (delay_loop 1, retry 1, delay_before_retry 1, connect_timeout 1).
//
// OpenSMTPD runs unpacked, in the foreground (-d), in a mount namespace of its own where the
// test binds what it needs over the host's paths: its two users (opensmtpd, opensmtpq) in a
// copy of /etc/passwd and /etc/group, its spool (/var/spool/smtpd), its chroot
// (/var/lib/opensmtpd/empty) and its control socket (/run/smtpd.sock) in the test's directory.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStale, createTopology, exec, ownLog, tandemImpl, waitFor, type DaemonHandle, type Topology } from "./lib/index.ts";
import { isRoot } from "./support/pair-scenarios.ts";
import { loggedAt } from "./support/check-logs.ts";

const SERVERS = join(process.env.TEST_SERVERS ?? "/var/cache/tandem-test", "opensmtpd/usr/sbin");
const SMTPD = join(SERVERS, "smtpd");
const RS = "10.99.0.100"; // box c
const DIRECTOR = "10.99.0.11"; // box a, where the checks come from
const OPENSMTPQ_GID = 64999; // the group smtpctl must be setgid to (a copy of its binary is)
const unavailable =
  tandemImpl.unavailableReason() ??
  (existsSync(SMTPD) ? null : `${SMTPD} is missing (scripts/install-test-servers.sh)`) ??
  (Bun.which("unshare") && Bun.which("nsenter") ? null : "unshare or nsenter (util-linux) is missing");

const smtpChecker = `SMTP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
            delay_loop 1
        }`;

const CONFIG = `
virtual_server 10.99.0.52 25 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    delay_loop 1
    real_server ${RS} 25 {
        ${smtpChecker}
    }
    real_server ${RS} 26 {
        ${smtpChecker}
    }
}
`;

/** Port 25 refuses HELO to the sources in the table `refused`; port 26 greets everyone with 554. */
function smtpdConfig(dir: string): string {
  return `table anyone { 0.0.0.0/0 }
table refused file:${dir}/refused
filter "refuse-helo" phase helo match src <refused> reject "550 5.7.1 tandem test: HELO refused"
filter "no-service" phase connect match src <anyone> disconnect "554 5.7.1 tandem test: no service"
listen on ${RS} port 25 hostname rs.test filter "refuse-helo"
listen on ${RS} port 26 hostname rs.test filter "no-service"
action "local" mbox
match from any for local action "local"
`;
}

/** Run in the server's own mount namespace: what OpenSMTPD needs, bound over the host's paths, then smtpd. */
const START_SCRIPT = `set -eu
d=$1; smtpd=$2
mkdir -p "$d/etc" "$d/spool/smtpd" "$d/lib/opensmtpd/empty" "$d/run"
cp /etc/passwd "$d/etc/passwd"; cp /etc/group "$d/etc/group"
echo "opensmtpd:x:64998:64998::/var/lib/opensmtpd/empty:/usr/sbin/nologin" >> "$d/etc/passwd"
echo "opensmtpq:x:${OPENSMTPQ_GID}:${OPENSMTPQ_GID}::/var/lib/opensmtpd/empty:/usr/sbin/nologin" >> "$d/etc/passwd"
echo "opensmtpd:x:64998:" >> "$d/etc/group"
echo "opensmtpq:x:${OPENSMTPQ_GID}:" >> "$d/etc/group"
# No resolver in the box: the reverse lookup of each client must fail at once, not time out.
echo "nameserver 127.0.0.1" > "$d/etc/resolv.conf"
chmod 711 "$d/spool/smtpd"; chmod 755 "$d/lib/opensmtpd/empty"
mount --bind "$d/etc/passwd" /etc/passwd
mount --bind "$d/etc/group" /etc/group
mount --bind "$d/etc/resolv.conf" /etc/resolv.conf
mount --bind "$d/spool" /var/spool
mount --bind "$d/lib" /var/lib
mount --bind "$d/run" /run
ip link set lo up
exec "$smtpd" -d -f "$d/smtpd.conf"
`;

describe.skipIf(!isRoot || unavailable !== null)("SMTP_CHECK against OpenSMTPD (root, netns)", () => {
  let topo: Topology;
  let daemon: DaemonHandle;
  let smtpd: ReturnType<typeof Bun.spawn> | undefined;
  let dir: string;
  const accepting = `[${RS}]:tcp:25`;
  const refusing = `[${RS}]:tcp:26`;
  /** keepalived's success line (check_smtp.c), or the TCP one tandem's runner printed for every non-HTTP kind. */
  const upLines = (name: string) => [[`Remote SMTP server ${name} succeed on service.`], [`TCP connection to ${name} success.`]];
  const downLine = (name: string, reason: string) => ["SMTP_CHECK", name, `failed`, reason];

  const listening = async () => (await exec(topo.box("c").ns, ["ss", "-ltn"])).stdout;
  const startSmtpd = async () => {
    smtpd = Bun.spawn(["ip", "netns", "exec", topo.box("c").ns, "unshare", "-m", "--propagation", "private", "sh", join(dir, "start.sh"), dir, SMTPD], {
      stdout: "ignore",
      stderr: Bun.file(join(dir, `smtpd-${Date.now()}.log`)),
    });
    await waitFor(async () => (await listening()).includes(`${RS}:25`) && (await listening()).includes(`${RS}:26`), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "smtpd listening",
    });
  };
  /** Every OpenSMTPD process (the parent and its privilege-separated children): the box runs nothing else. */
  const smtpdPids = async (): Promise<number[]> => (await exec(null, ["ip", "netns", "pids", topo.box("c").ns])).stdout.split("\n").filter(Boolean).map(Number);
  /** Which sources port 25 refuses HELO to, as smtpd reads it on `smtpctl update table`. */
  const refuseHeloFrom = async (source: string) => {
    writeFileSync(join(dir, "refused"), `${source}\n`);
    const [parent] = await smtpdPids();
    const update = await exec(null, ["nsenter", "-t", String(parent), "-m", "-n", join(dir, "smtpctl"), "update", "table", "refused"]);
    expect(update.stdout + update.stderr).toContain("command succeeded");
  };
  const detectedAny = async (alternatives: string[][], fromMs: number, timeoutMs: number) =>
    (await waitFor(
      () => {
        const times = alternatives.map((parts) => loggedAt(ownLog(daemon), parts, fromMs)).filter((t) => t !== undefined);
        return times.length > 0 ? Math.min(...times) : undefined;
      },
      { timeoutMs, intervalMs: 20, what: `a log line with ${alternatives.map((a) => a.join(" ... ")).join(" or ")}` },
    )) - fromMs;
  const detected = (parts: string[], fromMs: number, timeoutMs: number) => detectedAny([parts], fromMs, timeoutMs);

  beforeAll(async () => {
    await cleanupStale();
    topo = await createTopology();
    dir = join(topo.runDir, "smtpd");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "smtpd.conf"), smtpdConfig(dir));
    writeFileSync(join(dir, "start.sh"), START_SCRIPT);
    writeFileSync(join(dir, "refused"), "192.0.2.1\n"); // nobody of ours: HELO is accepted
    // smtpctl refuses to run unless it is setgid opensmtpq (its group in the server's namespace).
    copyFileSync(join(SERVERS, "smtpctl"), join(dir, "smtpctl"));
    chownSync(join(dir, "smtpctl"), 0, OPENSMTPQ_GID);
    chmodSync(join(dir, "smtpctl"), 0o2755);
    await startSmtpd();
  }, 30_000);

  afterAll(async () => {
    if (daemon?.alive()) await daemon.stop("SIGTERM", 5000);
    if (topo) for (const pid of await smtpdPids()) process.kill(pid, "SIGKILL");
    await topo?.destroy();
  }, 30_000);

  test("judged up by the first check, 1 s plus a warmup of up to delay_loop after the start; the 554 banner judged down after its retry", async () => {
    const box = topo.box("a");
    const fromMs = Date.now();
    daemon = await tandemImpl.start({ ns: box.ns, runDir: box.runDir, config: CONFIG, extraArgs: ["-C"] });
    const upMs = await detectedAny(upLines(accepting), fromMs, 8_000);
    const bannerMs = await detected(downLine(refusing, "bad greeting banner: 554 5.7.1 tandem test: no service"), fromMs, 8_000);
    // First check 1-2 s after the checkers start, its retry delay_before_retry (1 s) later.
    expect(upMs).toBeLessThan(4_000);
    expect(bannerMs).toBeGreaterThanOrEqual(2_000);
    expect(bannerMs).toBeLessThan(5_000);
    expect(ownLog(daemon)).toContain("IPVS director unavailable");
    expect(loggedAt(ownLog(daemon), ["SMTP_CHECK", accepting, "failed"], fromMs)).toBeUndefined();
    console.log(`checks-smtp: up ${upMs} ms after the start; the 554 banner judged down ${bannerMs} ms after it`);
  }, 15_000);

  test("HELO refused: down after two refusals a delay_before_retry apart; back at the first accepted HELO", async () => {
    const faultMs = Date.now();
    await refuseHeloFrom(DIRECTOR);
    const downMs = await detected(downLine(accepting, "HELO answered 550 5.7.1 tandem test: HELO refused; expected 250"), faultMs, 6_000);
    // The next check within delay_loop (1 s), its retry delay_before_retry (1 s) later.
    expect(downMs).toBeGreaterThanOrEqual(900);
    expect(downMs).toBeLessThan(3_000);
    const fixMs = Date.now();
    await refuseHeloFrom("192.0.2.1");
    // Down, a failure is still retried (smtp_final), so the next check is at most delay_loop or delay_before_retry (1 s) away.
    const upMs = await detectedAny(upLines(accepting), fixMs, 6_000);
    expect(upMs).toBeLessThan(2_000);
    console.log(`checks-smtp: HELO refused detected in ${downMs} ms, recovery in ${upMs} ms (delay_loop 1 s, retry 1, delay_before_retry 1 s)`);
  }, 20_000);

  test("a hung smtpd (SIGSTOP): the handshake completes, no banner within connect_timeout, twice", async () => {
    const pids = await smtpdPids();
    expect(pids.length).toBeGreaterThan(1);
    const faultMs = Date.now();
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    try {
      const downMs = await detected(downLine(accepting, "no greeting banner within 1 s"), faultMs, 8_000);
      // Up to delay_loop to the next check, connect_timeout, delay_before_retry, connect_timeout: 3 to 4 s.
      expect(downMs).toBeGreaterThanOrEqual(2_900);
      expect(downMs).toBeLessThan(5_000);
      console.log(`checks-smtp: hung server detected in ${downMs} ms`);
    } finally {
      for (const pid of pids) process.kill(pid, "SIGCONT");
    }
    await detectedAny(upLines(accepting), faultMs, 8_000);
  }, 25_000);

  test("a stopped smtpd (SIGKILL): connection refused, down after the retry", async () => {
    const faultMs = Date.now();
    for (const pid of await smtpdPids()) process.kill(pid, "SIGKILL");
    await smtpd!.exited;
    const downMs = await detected(downLine(accepting, "connection refused"), faultMs, 6_000);
    expect(downMs).toBeGreaterThanOrEqual(900);
    expect(downMs).toBeLessThan(3_000);
    const restartMs = Date.now();
    await startSmtpd();
    const upMs = await detectedAny(upLines(accepting), restartMs, 6_000);
    expect(upMs).toBeLessThan(3_000);
    console.log(`checks-smtp: stopped server detected in ${downMs} ms; up ${upMs} ms after the restart`);
  }, 25_000);
});
