// tandem and keepalived 2.2.7 as one pair, both ways round: keepalived A + tandem B and
// tandem A + keepalived B, VRRPv2 with PASS authentication and VRRPv3. Each direction
// runs the full scenario list, including a 60 s steady run checked for a dual master.
import { keepalivedImpl, tandemImpl } from "./lib/index.ts";
import { pairScenarios } from "./support/pair-scenarios.ts";

for (const impls of [
  { a: keepalivedImpl, b: tandemImpl },
  { a: tandemImpl, b: keepalivedImpl },
]) {
  pairScenarios({ impls, version: 3, advertS: 0.1, steadyMs: 60_000 });
  pairScenarios({ impls, version: 2, advertS: 1, steadyMs: 10_000 });
}
