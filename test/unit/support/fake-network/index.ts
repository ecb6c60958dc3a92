// A fake network for the engine's unit tier: hosts with links and addresses, L2 wires
// carrying the encoded adverts and ARPs between them, clients with ARP caches, all on one
// simulated clock. The public surface; each part is in its own file.
export { FakeNetwork } from "./fake-network.ts";
export { FakeClient } from "./fake-client.ts";
export { FakeHost, FakeLink, type AddressChange } from "./fake-host.ts";
export { FakePorts, FakeVrrpSocket } from "./fake-ports.ts";
export { FakeWire, WIRE_LATENCY_MS, type FrameRule, type Station, type WireFrame } from "./fake-wire.ts";
export { ProcessClock, SimClock, settle } from "./sim-clock.ts";
export * from "./frames.ts";
