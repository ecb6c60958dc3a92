// A child process's end of its IPC channel to the supervisor: typed send and receive, and
// what to do when the supervisor is gone (Bun reports the channel's close as "disconnect").
// A message that arrives before the child listens (onMessage) is kept and handed over when
// it does: a child sets itself up between its "start" and onMessage (logging, scheduling, its
// store), and the supervisor sends right after "start" what it sends only once or only on a
// change (the director's VRRP states: one dropped left a MASTER running the backup sync
// daemon, so nothing reached the peer and a failover reset every connection).
export interface ParentLink<In extends { type: string }, Out> {
  send(message: Out): void;
  /** Every message from now on, after those that came before it (but for those next() took). */
  onMessage(listener: (message: In) => void): void;
  onDisconnect(listener: () => void): void;
  /** Resolves with the first message of this type (one already kept included). */
  next<T extends In["type"]>(type: T): Promise<Extract<In, { type: T }>>;
}

/** What the link needs of its process (Bun's IPC channel to the parent); a test gives its own. */
export interface IpcChannel {
  send?: (message: never) => unknown;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "disconnect", listener: () => void): unknown;
}

export function parentLink<In extends { type: string }, Out>(channel: IpcChannel = process as unknown as IpcChannel): ParentLink<In, Out> {
  if (!channel.send) throw new Error("this command is started by tandem itself, with an IPC channel; run `tandem run` instead");
  const send = channel.send.bind(channel) as (message: Out) => unknown;
  const listeners: ((message: In) => void)[] = [];
  const kept: In[] = [];
  const waiters: { type: string; resolve: (message: In) => void }[] = [];
  channel.on("message", (raw) => {
    const message = raw as In;
    const waiter = waiters.findIndex((w) => w.type === message.type);
    if (waiter >= 0) waiters.splice(waiter, 1)[0]!.resolve(message);
    if (listeners.length > 0) for (const listener of listeners) listener(message);
    else if (waiter < 0) kept.push(message);
  });
  return {
    send(message) {
      // A supervisor that is gone is reported by "disconnect"; nothing to do here.
      try {
        send(message);
      } catch {}
    },
    onMessage(listener) {
      listeners.push(listener);
      for (const message of kept.splice(0)) listener(message);
    },
    onDisconnect(listener) {
      channel.on("disconnect", listener);
    },
    next(type) {
      const early = kept.findIndex((m) => m.type === type);
      if (early >= 0) return Promise.resolve(kept.splice(early, 1)[0] as never);
      return new Promise((resolve) => waiters.push({ type, resolve: resolve as (message: In) => void }));
    },
  };
}
