// `tandem state`, `tandem events` and `tandem ipvs`: ask a running daemon's REST API and print a table
// (or the JSON with --json). The API address comes from --api, else the configuration's
// api_listen (https when it sets api_tls_certificate), else the default 127.0.0.1:8080.
// Over https the server is trusted by a pinned fingerprint, a --cacert CA, or the system's
// roots; a pin is checked before any request, so a token never reaches the wrong server.
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { connect } from "node:tls";
import { formatEventsTable, formatIpvsTable, formatStateTable, type StateBody } from "../../api/cli-format.ts";
import type { IpvsView } from "../../api/ports.ts";
import { nodeFiles, parseConfig } from "../../config/index.ts";
import type { EventPage } from "../../store/event.ts";
import { fingerprintOf, parseFingerprint, toPem } from "../../tls/index.ts";
import { DEFAULT_API_LISTEN, type ClientCommandName, type ClientOptions } from "./cli-args.ts";

/** Where and how to reach the API, once options and configuration are resolved. */
export interface ApiTarget {
  /** No trailing slash: "https://127.0.0.1:8080". */
  baseUrl: string;
  /** Normalised "sha256:AB:..."; only a server with exactly this certificate is trusted. */
  fingerprint?: string;
  /** Where the pin came from, for messages ("--fingerprint", "api_tls_certificate FILE"). */
  pinSource?: string;
  /** CA certificates (PEM) to verify against instead of the system's roots. */
  caPem?: string;
  /** Sent as Authorization: Bearer. */
  token?: string;
}

/** The configuration's API settings; apiTls* are read from GlobalDefs when it has them. */
export interface ApiSettings {
  apiListen?: string;
  apiTlsCertificate?: string;
  apiTokenFile?: string;
}

export type TargetResult = { ok: true; target: ApiTarget } | { ok: false; message: string };
export type ApiAnswer = { ok: true; status: number; text: string; date: string | null } | { ok: false; message: string };

const REQUEST_TIMEOUT_MS = 5_000;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

export function apiSettingsOf(configFile: string): ApiSettings {
  if (!existsSync(configFile)) return {};
  const globalDefs = parseConfig(configFile, nodeFiles).config?.globalDefs;
  if (!globalDefs) return {};
  const tls = globalDefs as { apiTlsCertificate?: string };
  return { apiListen: globalDefs.apiListen, apiTlsCertificate: tls.apiTlsCertificate, apiTokenFile: globalDefs.apiTokenFile };
}

/**
 * Options plus configuration to a target. The configuration's certificate pin and token
 * file apply only to the URL derived from the same configuration: they describe that daemon,
 * and must not be handed to whatever --api names.
 */
export function resolveApiTarget(options: ClientOptions, settings: ApiSettings, read: (file: string) => string | undefined = readText): TargetResult {
  const target: ApiTarget = { baseUrl: "" };
  const fromConfig = !options.apiUrl;
  if (options.apiUrl) target.baseUrl = options.apiUrl.replace(/\/+$/, "");
  else {
    // A wildcard listen address is reached on loopback.
    const listen = (settings.apiListen ?? DEFAULT_API_LISTEN).replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
    target.baseUrl = `${settings.apiTlsCertificate ? "https" : "http"}://${listen}`;
  }
  if (options.fingerprint) {
    const parsed = parseFingerprint(options.fingerprint);
    if (!parsed.ok) return { ok: false, message: `--fingerprint: ${parsed.message}` };
    target.fingerprint = parsed.fingerprint;
    target.pinSource = "--fingerprint";
  } else if (options.caFile) {
    const ca = read(options.caFile);
    if (ca === undefined) return { ok: false, message: `cannot read --cacert ${options.caFile}` };
    target.caPem = ca;
  } else if (fromConfig && settings.apiTlsCertificate) {
    // On the box itself the certificate file is right here: pin it, so `tandem state` just works.
    const pem = read(settings.apiTlsCertificate);
    if (pem !== undefined && pem.includes("-----BEGIN CERTIFICATE-----")) {
      target.fingerprint = fingerprintOf(pem);
      target.pinSource = `api_tls_certificate ${settings.apiTlsCertificate}`;
    }
  }
  if ((target.fingerprint || target.caPem) && !target.baseUrl.startsWith("https://")) {
    return { ok: false, message: `${options.fingerprint ? "--fingerprint" : "--cacert"} needs an https:// API, and ${target.baseUrl} is plain http` };
  }
  if (options.tokenFile) {
    const token = read(options.tokenFile);
    if (token === undefined) return { ok: false, message: `cannot read --token-file ${options.tokenFile}` };
    if (token.trim() === "") return { ok: false, message: `--token-file ${options.tokenFile} is empty` };
    target.token = token.trim();
  } else if (fromConfig && settings.apiTokenFile) {
    const token = read(settings.apiTokenFile)?.trim();
    if (token) target.token = token;
  }
  return { ok: true, target };
}

type PeerCertificate = { ok: true; der: Uint8Array } | { ok: false; message: string };

/** The DER certificate a TLS server presents, over a connection that carries nothing else. */
function peerCertificate(url: URL, signal: AbortSignal | undefined): Promise<PeerCertificate> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port || 443);
  return new Promise((resolve) => {
    // Unverified on purpose: the pin, not a CA, decides; SNI only for names (RFC 6066 §3).
    const socket = connect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
    let settled = false;
    const finish = (result: PeerCertificate) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      socket.end();
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ ok: false, message: "timed out during the TLS handshake" });
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate(true)?.raw;
      finish(raw && raw.length > 0 ? { ok: true, der: new Uint8Array(raw) } : { ok: false, message: "the server presented no certificate" });
    });
    socket.once("error", (error) => finish({ ok: false, message: error.message }));
  });
}

function looksLikeCertificateError(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return /CERT|VERIFY|SELF_SIGNED|ALTNAME|ISSUER/i.test(`${code ?? ""} ${message ?? ""}`) || /certificate/i.test(message ?? "");
}

/** GET base+path as the target says; never throws. With a pin, nothing is sent unless it matches. */
export async function requestApi(target: ApiTarget, path: string, signal?: AbortSignal): Promise<ApiAnswer> {
  const url = new URL(`${target.baseUrl}${path}`);
  const headers: Record<string, string> = {};
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  const init: RequestInit & { tls?: Record<string, unknown> } = { headers, signal };
  if (url.protocol === "https:" && target.fingerprint) {
    const peer = await peerCertificate(url, signal);
    if (!peer.ok) return { ok: false, message: `cannot reach the tandem API at ${target.baseUrl}: ${peer.message}` };
    const seen = fingerprintOf(peer.der);
    if (seen !== target.fingerprint) {
      return {
        ok: false,
        message:
          `the API at ${target.baseUrl} presented the certificate ${seen}, not the pinned ${target.fingerprint} (from ${target.pinSource ?? "--fingerprint"}); nothing was sent\n` +
          "  (if the box's certificate was replaced on purpose, pin the new fingerprint; otherwise another server is answering)",
      };
    }
    const pin = target.fingerprint;
    // Trust exactly that certificate whatever host name it carries, and check the pin again on
    // this connection, since it is a new handshake that could meet a different server.
    init.tls = {
      ca: toPem("CERTIFICATE", peer.der),
      checkServerIdentity: (_host: string, cert: { fingerprint256?: string }) => {
        const parsed = parseFingerprint(cert.fingerprint256 ?? "");
        return parsed.ok && parsed.fingerprint === pin ? undefined : new Error(`certificate ${cert.fingerprint256} is not the pinned ${pin}`);
      },
    };
  } else if (url.protocol === "https:" && target.caPem) init.tls = { ca: target.caPem };
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    const message = (error as Error).message;
    if (url.protocol === "https:" && target.fingerprint && looksLikeCertificateError(error)) {
      // The pin matched, so what failed is the rest of verification, most likely the dates.
      return {
        ok: false,
        message: `the pinned certificate of ${target.baseUrl} was refused: ${message}\n  (is it expired, or not yet valid by this machine's clock? tandem tls-certificate --force makes a new one)`,
      };
    }
    if (url.protocol === "https:" && target.caPem && looksLikeCertificateError(error)) {
      return { ok: false, message: `the certificate of ${target.baseUrl} does not verify against --cacert: ${message}` };
    }
    if (url.protocol === "https:" && looksLikeCertificateError(error)) {
      const peer = await peerCertificate(url, signal);
      const seen = peer.ok ? `; it presents ${fingerprintOf(peer.der)}` : "";
      return {
        ok: false,
        message:
          `cannot verify the TLS certificate of ${target.baseUrl}: ${message}${seen}\n` +
          `  (a tandem box's own certificate is self-signed: pass --fingerprint sha256:... as its first boot or tandem tls-certificate printed it,\n` +
          `   after checking it on the box; or --cacert FILE when a CA signed it)`,
      };
    }
    return { ok: false, message: `cannot reach the tandem API at ${target.baseUrl}: ${message}\n  (is the daemon running? is api_listen set? try --api URL)` };
  }
  return { ok: true, status: response.status, text: await response.text(), date: response.headers.get("date") };
}

const CLIENT_PATHS: Record<ClientCommandName, (options: ClientOptions) => string> = {
  state: () => "/vrrp/state",
  events: (options) => `/events?${new URLSearchParams(options.query)}`,
  ipvs: () => "/ipvs/state",
};

function formatAnswer(command: ClientCommandName, body: unknown, nowMs: number): string {
  if (command === "state") return formatStateTable(body as StateBody, nowMs);
  if (command === "ipvs") return formatIpvsTable(body as IpvsView, nowMs);
  return formatEventsTable(body as EventPage);
}

export async function clientCommand(command: ClientCommandName, options: ClientOptions): Promise<number> {
  const fail = (message: string) => (process.stderr.write(`tandem ${command}: ${message}\n`), 1);
  const resolved = resolveApiTarget(options, apiSettingsOf(options.configFile));
  if (!resolved.ok) return fail(resolved.message);
  const { target } = resolved;
  const path = CLIENT_PATHS[command](options);
  const answer = await requestApi(target, path, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
  if (!answer.ok) return fail(answer.message);
  if (answer.status < 200 || answer.status > 299) {
    const hint = answer.status === 401 && !target.token ? "\n  (this API wants a token: pass --token-file FILE, the file api_token_file names on the box)" : "";
    return fail(`${target.baseUrl}${path} answered ${answer.status}: ${answer.text.trim()}${hint}`);
  }
  if (options.json) {
    process.stdout.write(answer.text.endsWith("\n") ? answer.text : `${answer.text}\n`);
    return 0;
  }
  try {
    const body = JSON.parse(answer.text);
    process.stdout.write(formatAnswer(command, body, Date.parse(answer.date ?? "") || 0));
    return 0;
  } catch (error) {
    return fail(`the API's answer is not what this client expects: ${(error as Error).message}`);
  }
}
