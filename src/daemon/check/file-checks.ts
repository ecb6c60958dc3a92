// FILE_CHECK's files: the track_file blocks the checkers name, read and followed with the
// watcher VRRP's vrrp_track_file uses (inotify on the directory, a slow re-read as a safety
// net), each value handed to the runner by name. keepalived reads a FILE_CHECK's file at
// start and whenever it changes; it does not run on a timer, and it has no notion of
// retries: one value is one verdict (track_file.c process_update_checker_track_file_status).
import type { Clock } from "../../common/clock.ts";
import type { Logger } from "../../common/logger.ts";
import { createTrackFileWatcher, type TrackFileSpec, type TrackFileWatcher } from "../vrrp/track-file-watcher.ts";

export type WatchFiles = (files: readonly TrackFileSpec[], onChange: (name: string, value: number) => void) => TrackFileWatcher;

export function watchTrackFiles(clock: Clock, logger: Logger): WatchFiles {
  return (files, onChange) => createTrackFileWatcher({ clock, logger, files, onChange });
}

/** The files of the checkers in force: a new set of files replaces the watcher; the same set keeps it. */
export class FileChecks {
  private watcher: TrackFileWatcher | undefined;
  private key = "[]";
  private started = false;

  constructor(
    private readonly watch: WatchFiles,
    /** A file's value, at start (each file once) and at every change. */
    private readonly onValue: (name: string, value: number) => void,
  ) {}

  follow(files: readonly TrackFileSpec[]): void {
    const unique = [...new Map(files.map((f) => [f.name, f])).values()].sort((a, b) => a.name.localeCompare(b.name));
    const key = JSON.stringify(unique);
    if (key === this.key && this.watcher) {
      // The same files: a checker new in this configuration takes each one's value now.
      if (this.started) for (const file of unique) this.replay(file.name);
      return;
    }
    this.watcher?.stop();
    this.key = key;
    this.watcher = unique.length ? this.watch(unique, this.onValue) : undefined;
    if (this.started) void this.begin(unique);
  }

  start(): void {
    this.started = true;
    const files = JSON.parse(this.key) as TrackFileSpec[];
    void this.begin(files);
  }

  stop(): void {
    this.started = false;
    this.watcher?.stop();
  }

  private replay(name: string): void {
    const value = this.watcher?.current(name);
    if (value !== undefined) this.onValue(name, value);
  }

  private async begin(files: readonly TrackFileSpec[]): Promise<void> {
    const watcher = this.watcher;
    if (!watcher) return;
    await watcher.start();
    if (watcher !== this.watcher || !this.started) return;
    for (const file of files) this.onValue(file.name, watcher.current(file.name) ?? 0);
  }
}
