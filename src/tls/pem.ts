// PEM armour (RFC 7468): base64 of DER between BEGIN/END lines, wrapped at 64 columns.

export function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The DER of the first `label` block in text, or undefined when there is none. */
export function fromPem(text: string, label = "CERTIFICATE"): Uint8Array | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`).exec(text);
  if (!match) return undefined;
  const der = Buffer.from(match[1]!.replace(/\s+/g, ""), "base64");
  return der.length > 0 ? new Uint8Array(der) : undefined;
}
