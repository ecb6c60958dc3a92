// A large value sent to a child as its JSON text rather than as the value itself. Bun's
// "advanced" IPC encodes a value by structured clone, object by object: the configuration of
// 1,000 x 10 virtual/real servers took 60-90 ms to send and 80-110 ms to arrive on the host,
// the same as JSON text 9 ms and 27-37 ms (a string is copied whole), and several times
// either in an emulated guest, on the supervisor's event loop, which also serves the API.
// Only for plain data: JSON keeps no undefined, Map, Set, typed array or non-finite number
// (the configuration has none: test/unit/daemon/ipc/json-text.test.ts).

/** T's JSON text; the type parameter says what it decodes to. */
export type JsonText<T> = string & { readonly __decodesTo?: T };

export function toJsonText<T>(value: T): JsonText<T> {
  return JSON.stringify(value) as JsonText<T>;
}

export function fromJsonText<T>(text: JsonText<T>): T {
  return JSON.parse(text) as T;
}
