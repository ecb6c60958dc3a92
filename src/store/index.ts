// The store's public surface: the SQLite event history (openEventLog), its cursors, and the
// file-system port the daemon gives it.
export { readLegacyMaintenance } from "./legacy-maintenance.ts";
export { openEventLog, RETRY_INTERVAL_MS, RETENTION_INTERVAL_MS, type EventLogOptions } from "./event-log.ts";
export { decodeCursor, encodeCursor, type Cursor } from "./cursor.ts";
export { NO_FILE_ACCESS, type StoreFiles } from "./files.ts";
export { DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_ROWS, type RetentionOptions } from "./retention.ts";
export { MIGRATIONS, type Migration } from "./schema.ts";
export * from "./event.ts";
