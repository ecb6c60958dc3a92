// Watches vrrp_track_file files: fs.watch on each file's directory (inotify, like keepalived)
// for fast reaction, plus a slow re-read on the injected Clock as a safety net.
//
// keepalived waits for IN_CLOSE_WRITE/IN_MOVED_TO; fs.watch only reports modify/rename, so a
// read right on the event could see a writer's truncated, still-empty file (read as 0).
// Events therefore re-read after a short settle delay, coalescing bursts.

import { constants, watch, type FSWatcher } from "node:fs";
import { open, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import { parseTrackFileValue, trackFileReadLimitBytes } from "../../vrrp/track-file-value.ts";

export interface TrackFileSpec {
  name: string;
  path: string;
}

export interface TrackFileWatcherOptions {
  clock: Clock;
  logger: Logger;
  files: readonly TrackFileSpec[];
  /** Called after start() whenever a file's value changes (the initial value is in current()). */
  onChange(name: string, value: number): void;
  /** Safety re-read period; default 5 s. */
  pollIntervalMs?: number;
  /** Delay between a file event and the read; default 25 ms. */
  settleMs?: number;
}

export interface TrackFileWatcher {
  /** Reads every file once (so current() is set), then watches. */
  start(): Promise<void>;
  stop(): void;
  current(name: string): number | undefined;
}

interface Entry {
  spec: TrackFileSpec;
  value?: number;
  watcher?: FSWatcher;
  watchedDirIno?: number;
  settleTimer?: TimerHandle;
  readSequence: number;
}

export function createTrackFileWatcher(options: TrackFileWatcherOptions): TrackFileWatcher {
  const { clock, logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const settleMs = options.settleMs ?? 25;
  const entries = options.files.map((spec): Entry => ({ spec, readSequence: 0 }));
  let active = false;
  let pollTimer: TimerHandle | undefined;

  const refresh = async (entry: Entry, initial: boolean) => {
    const sequence = ++entry.readSequence;
    const content = await readHead(entry.spec.path);
    // A newer read was started meanwhile: its result is the one that counts.
    if (sequence !== entry.readSequence || (!active && !initial)) return;
    const reading = parseTrackFileValue(content);
    if (!reading.ok) {
      logger.warn(`track_file ${entry.spec.name} (${entry.spec.path}): ${reading.reason}`);
      if (entry.value === undefined) entry.value = 0;
      return;
    }
    const previous = entry.value;
    entry.value = reading.value;
    if (initial || previous === reading.value) return;
    logger.info(`track_file ${entry.spec.name} (${entry.spec.path}) value ${previous ?? "unset"} -> ${reading.value}`);
    try {
      options.onChange(entry.spec.name, reading.value);
    } catch (error) {
      logger.error(`track_file ${entry.spec.name}: onChange handler threw: ${String(error)}`);
    }
  };

  const onEvent = (entry: Entry) => {
    entry.settleTimer?.cancel();
    entry.settleTimer = clock.at(clock.nowMs() + settleMs, () => {
      entry.settleTimer = undefined;
      if (active) void refresh(entry, false);
    });
  };

  const closeWatch = (entry: Entry) => {
    entry.watcher?.close();
    entry.watcher = undefined;
    entry.watchedDirIno = undefined;
  };

  /** (Re)establish the directory watch; a missing or replaced directory is retried on each poll. */
  const ensureWatch = async (entry: Entry) => {
    const dir = dirname(entry.spec.path);
    const dirIno = await stat(dir).then(
      (s) => s.ino,
      () => undefined,
    );
    if (!active) return;
    if (entry.watcher && dirIno === entry.watchedDirIno) return;
    closeWatch(entry);
    if (dirIno === undefined) return;
    const file = basename(entry.spec.path);
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || name === file) onEvent(entry);
      });
      watcher.on("error", (error) => {
        logger.warn(`track_file ${entry.spec.name}: watching ${dir} failed (${String(error)}); falling back to re-reading every ${pollIntervalMs} ms`);
        if (entry.watcher === watcher) closeWatch(entry);
      });
      entry.watcher = watcher;
      entry.watchedDirIno = dirIno;
    } catch (error) {
      logger.warn(`track_file ${entry.spec.name}: cannot watch ${dir} (${String(error)}); re-reading every ${pollIntervalMs} ms`);
    }
  };

  const poll = () => {
    pollTimer = clock.at(clock.nowMs() + pollIntervalMs, () => {
      if (!active) return;
      poll();
      for (const entry of entries) {
        void ensureWatch(entry);
        void refresh(entry, false);
      }
    });
  };

  return {
    async start() {
      if (active) return;
      active = true;
      await Promise.all(entries.map((entry) => refresh(entry, true)));
      await Promise.all(entries.map((entry) => ensureWatch(entry)));
      // Catch a change that landed between the first read and the watch being in place.
      if (active) for (const entry of entries) void refresh(entry, false);
      if (active) poll();
    },
    stop() {
      active = false;
      pollTimer?.cancel();
      for (const entry of entries) {
        entry.settleTimer?.cancel();
        closeWatch(entry);
      }
    },
    current: (name) => entries.find((e) => e.spec.name === name)?.value,
  };
}

/** The first 127 bytes, or undefined when the file cannot be read (keepalived: value 0). */
async function readHead(path: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // O_NONBLOCK like keepalived, so a FIFO put there by mistake cannot hang us.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const buffer = new Uint8Array(trackFileReadLimitBytes);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    return new TextDecoder().decode(buffer.subarray(0, bytesRead));
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
