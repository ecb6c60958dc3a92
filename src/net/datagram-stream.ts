// Event-driven receive on a socket fd: Bun.file(fd).stream() puts the fd in Bun's epoll loop
// and reads with recvfrom(MSG_DONTWAIT), so nothing polls and timers keep firing.
//
// Measured on Bun 1.4.4: Bun dup()s the fd and reads into a 256 KiB buffer, retrying until
// EAGAIN, so datagrams queued together arrive CONCATENATED in one chunk. Callers must
// split chunks themselves (IPv4 total length, nlmsg_len): both protocols self-delimit.
// reader.cancel() removes the dup from epoll and closes it; the caller closes its own fd.

export interface DatagramReader {
  /**
   * Stops reading; idempotent. No callback runs after stop() is called. The promise settles
   * once Bun has closed its dup of the fd: only then is the kernel socket really gone.
   */
  stop(): Promise<void>;
}

export function readDatagramChunks(fd: number, onChunk: (chunk: Uint8Array) => void, onError: (error: Error) => void): DatagramReader {
  const reader = Bun.file(fd).stream().getReader();
  let stopped = false;
  let stopping: Promise<void> | undefined;

  (async () => {
    while (!stopped) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        if (!stopped) onError(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (stopped) return;
      if (result.done) {
        onError(new Error(`socket fd ${fd}: the receive stream ended unexpectedly`));
        return;
      }
      try {
        onChunk(result.value);
      } catch (error) {
        // A throwing handler must not kill the receive loop: report and keep reading.
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  })();

  return {
    stop() {
      if (!stopping) {
        stopped = true;
        // Resolves the pending read with done and closes Bun's dup of the fd.
        stopping = reader.cancel().catch(() => {});
      }
      return stopping;
    },
  };
}
