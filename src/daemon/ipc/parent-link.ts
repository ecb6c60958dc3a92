// A child process's end of its IPC channel to the supervisor: typed send and receive, and
// what to do when the supervisor is gone (Bun reports the channel's close as "disconnect").
export interface ParentLink<In extends { type: string }, Out> {
  send(message: Out): void;
  onMessage(listener: (message: In) => void): void;
  onDisconnect(listener: () => void): void;
  /** Resolves with the first message of this type. */
  next<T extends In["type"]>(type: T): Promise<Extract<In, { type: T }>>;
}

export function parentLink<In extends { type: string }, Out>(): ParentLink<In, Out> {
  if (!process.send) throw new Error("this command is started by tandem itself, with an IPC channel; run `tandem run` instead");
  const send = process.send.bind(process);
  return {
    send(message) {
      // A supervisor that is gone is reported by "disconnect"; nothing to do here.
      try {
        send(message);
      } catch {}
    },
    onMessage(listener) {
      process.on("message", (message) => listener(message as In));
    },
    onDisconnect(listener) {
      process.on("disconnect", listener);
    },
    next(type) {
      return new Promise((resolve) => {
        const listener = (message: unknown) => {
          if ((message as In).type !== type) return;
          process.off("message", listener);
          resolve(message as never);
        };
        process.on("message", listener);
      });
    },
  };
}
