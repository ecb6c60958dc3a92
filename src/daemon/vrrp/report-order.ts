// The order of what the VRRP runtime reports (history, notify scripts, notify FIFO lines): the
// order things happened in, although a MASTER is reported only once its VIPs are in. Each
// subject's report waits for its own previous one, and for whatever else it is given (a
// MASTER for its VIPs, a sync group for its members' reports); with nothing to wait for it
// goes out at once. keepalived, single-threaded, has this order for free; the FIFO readers
// written for it count on it ("guarantees that they will be delivered in the correct sequence").

export class ReportOrder {
  private readonly pending = new Map<string, Promise<void>>();

  /** The subject's report still waiting, if any (another subject's report may wait for it). */
  waiting(subject: string): Promise<void> | undefined {
    return this.pending.get(subject);
  }

  /** `deliver` after the subject's previous report and `waits`; at once when nothing is pending. */
  report(subject: string, waits: readonly (Promise<unknown> | undefined)[], deliver: () => void): void {
    const all = [this.pending.get(subject), ...waits].filter((w) => w !== undefined);
    if (all.length === 0) return deliver();
    const report = Promise.all(all).then(deliver);
    this.pending.set(subject, report);
    void report.then(() => {
      if (this.pending.get(subject) === report) this.pending.delete(subject);
    });
  }
}
