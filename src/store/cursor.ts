// Opaque page cursors: the last id a page returned and the order it was read in. Paging by
// id (not offset) keeps pages stable while new events arrive: they only get higher ids.

export interface Cursor {
  order: "asc" | "desc";
  /** The last id of the previous page; the next page continues strictly after it. */
  id: number;
}

const FORMAT = /^e1\.([ad])\.(\d{1,15})$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`e1.${cursor.order === "asc" ? "a" : "d"}.${cursor.id}`).toString("base64url");
}

/** The cursor, or undefined for anything that is not one we made. Never throws. */
export function decodeCursor(text: unknown): Cursor | undefined {
  if (typeof text !== "string" || text.length === 0 || text.length > 64 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const match = FORMAT.exec(Buffer.from(text, "base64url").toString("latin1"));
  if (!match) return undefined;
  const id = Number(match[2]);
  if (!Number.isSafeInteger(id)) return undefined;
  return { order: match[1] === "a" ? "asc" : "desc", id };
}
