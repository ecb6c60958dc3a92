// Public surface of the root-test library: topology, daemons, configs, observers, pairs.
//
// A test in a few lines (every wait is bounded; everything is removed on exit or Ctrl-C):
//
//   const topo = await createTopology();                       // td<hex>-sw/-a/-b/-c
//   const pair = await VrrpPair.start({ topo, vip: "10.99.0.41",
//     impls: { a: tandemImpl, b: keepalivedImpl },            // any mix
//     config: (side) => configFor({ box: side, state: side === "a" ? "MASTER" : "BACKUP",
//                                   priority: side === "a" ? 100 : 90, version: 3, advertInt: 0.1 }) });
//   await pair.waitSoleHolder("a", 5000);
//   const t0 = wallMs(); pair.daemon("a").kill9();
//   const onB = await pair.watchers.b.waitFor(true, { afterMs: t0, timeoutMs: 2000 });
//   await pair.stop(); await topo.destroy();

export * from "./proc.ts";
export * from "./topology.ts";
export * from "./daemons.ts";
export * from "./config.ts";
export * from "./observe.ts";
export * from "./pair.ts";
export * from "./resources.ts";
export { parsePcap } from "./pcap.ts";
