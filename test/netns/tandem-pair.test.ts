// Two tandem boxes against each other: election, crash, graceful stop, tracking, link
// loss and split brain, at VRRPv3 0.1 s and VRRPv2 1 s with PASS authentication.
import { tandemImpl } from "./lib/index.ts";
import { pairScenarios } from "./support/pair-scenarios.ts";

pairScenarios({ impls: { a: tandemImpl, b: tandemImpl }, version: 3, advertS: 0.1, steadyMs: 10_000 });
pairScenarios({ impls: { a: tandemImpl, b: tandemImpl }, version: 2, advertS: 1, steadyMs: 5_000 });
