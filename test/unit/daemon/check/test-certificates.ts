// Certificates for the SSL_GET tests, made by openssl into a directory: a CA, a server
// certificate it signed for the right name (DNS and IP), one for a wrong name, an expired one
// (openssl 3.0's `ca -startdate/-enddate`: `-days` cannot go back in time), a self-signed
// one, and a client certificate with an encrypted key. Shared by the probe's unit test and
// the netns test against nginx.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCertificates {
  ca: KeyPair;
  good: KeyPair;
  wrongName: KeyPair;
  expired: KeyPair;
  selfSigned: KeyPair;
  /** Signed by the CA; its key is encrypted with `clientPassword`. */
  client: KeyPair;
  clientPassword: string;
  /** The wrong name's certificate names only this. */
  wrongNameHost: string;
  /** The expired certificate's end, as judged: "2025-11-30". */
  expiredOn: string;
}

function openssl(dir: string, args: string[]): void {
  const run = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${run.stderr.toString()}`);
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** host: the name the good, expired and self-signed certificates carry (with ip as an IP SAN). */
export function makeTestCertificates(dir: string, host: string, ip: string): TestCertificates {
  mkdirSync(join(dir, "db"), { recursive: true });
  const pair = (name: string): KeyPair => ({ cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) });
  const ca = pair("ca");
  openssl(dir, ["req", "-x509", ...EC_KEY, "-keyout", ca.key, "-out", ca.cert, "-days", "60", "-subj", "/CN=Tandem Test CA"]);
  const extensions = (name: string, san: string, usage: string) => {
    const file = join(dir, `${name}.ext`);
    writeFileSync(file, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=${usage}\n`);
    return file;
  };
  const request = (name: string, cn: string) => {
    const p = pair(name);
    openssl(dir, ["req", ...EC_KEY, "-keyout", p.key, "-out", join(dir, `${name}.csr`), "-subj", `/CN=${cn}`]);
    return p;
  };
  const signed = (name: string, cn: string, san: string, usage = "serverAuth") => {
    const p = request(name, cn);
    const ext = extensions(name, san, usage);
    openssl(dir, [
      "x509",
      "-req",
      "-in",
      join(dir, `${name}.csr`),
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-days",
      "60",
      "-out",
      p.cert,
      "-extfile",
      ext,
    ]);
    return p;
  };
  const names = `DNS:${host},IP:${ip}`;
  const wrongNameHost = "rs.test";
  const good = signed("good", host, names);
  const wrongName = signed("wrong-name", wrongNameHost, `DNS:${wrongNameHost}`);
  const expired = request("expired", host);
  writeFileSync(join(dir, "db/index.txt"), "");
  writeFileSync(join(dir, "db/serial"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    `[ca]\ndefault_ca = test\n[test]\ndir = ${dir}\ndatabase = ${dir}/db/index.txt\nserial = ${dir}/db/serial\nnew_certs_dir = ${dir}/db\ndefault_md = sha256\npolicy = anything\nunique_subject = no\n[anything]\ncommonName = supplied\n`,
  );
  openssl(dir, [
    "ca",
    "-batch",
    "-notext",
    "-config",
    join(dir, "ca.cnf"),
    "-cert",
    ca.cert,
    "-keyfile",
    ca.key,
    "-in",
    join(dir, "expired.csr"),
    "-out",
    expired.cert,
    "-startdate",
    "20250101000000Z",
    "-enddate",
    "20251130000000Z",
    "-extfile",
    extensions("expired", names, "serverAuth"),
  ]);
  const selfSigned = pair("self-signed");
  openssl(dir, [
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    selfSigned.key,
    "-out",
    selfSigned.cert,
    "-days",
    "60",
    "-subj",
    `/CN=${host}`,
    "-addext",
    `subjectAltName=${names}`,
  ]);
  const clientPassword = "tandem-test-password";
  const plainClient = signed("client-plain", "tandem-client", "DNS:tandem-client", "clientAuth");
  const client = { cert: plainClient.cert, key: join(dir, "client.key") };
  openssl(dir, ["pkey", "-in", plainClient.key, "-aes256", "-passout", `pass:${clientPassword}`, "-out", client.key]);
  return { ca, good, wrongName, expired, selfSigned, client, clientPassword, wrongNameHost, expiredOn: "2025-11-30" };
}
