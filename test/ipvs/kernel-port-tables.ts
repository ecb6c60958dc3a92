// The tables the guest program writes through the kernel port: one of every kind of service
// and destination (with the ipvsadm commands that write the same), the changes made to it, and
// the 1,000 x 10 load. Pure values, shared by the program and the host-side assertions.
import type { IpvsOp } from "../../src/ipvs/ops.ts";
import type { DesiredService, IpvsTable } from "../../src/ipvs/types.ts";
import { destination, flags, fwmark, ip, service, tcp, udp } from "../unit/ipvs/support/table-values.ts";

const vip = tcp("10.0.0.1", 80);
const v6 = tcp("2001:db8::1", 80);
const sctp = { kind: "address", protocol: "SCTP", address: ip("10.0.0.1"), port: 9 } as const;

/** One of each: TCP, UDP with ops, SCTP, sh with its flags and persistence, fwmark v4 and v6, TCP v6; NAT, DR with thresholds, IPIP, GUE, GRE. */
export function richTable(): IpvsTable<DesiredService> {
  return {
    services: [
      {
        ...service(vip, "wrr"),
        destinations: [
          destination("10.0.0.2", 80, "masquerade", 3),
          destination("10.0.0.3", 80, "direct-route", 1, { upperThreshold: 100, lowerThreshold: 10 }),
          destination("10.0.0.4", 80, "tunnel", 1, { tunnel: { type: "ipip", port: 0, checksum: "nocsum" } }),
          destination("10.0.0.5", 80, "tunnel", 2, { tunnel: { type: "gue", port: 6080, checksum: "nocsum" } }),
          destination("10.0.0.6", 80, "tunnel", 2, { tunnel: { type: "gre", port: 0, checksum: "csum" } }),
        ],
      },
      { ...service(udp("10.0.0.1", 53), "rr", { flags: flags({ onePacket: true }) }), destinations: [destination("10.0.0.2", 53, "masquerade", 1)] },
      { ...service(sctp, "rr"), destinations: [destination("10.0.0.2", 9, "masquerade", 1)] },
      {
        ...service(tcp("10.0.0.7", 443), "sh", { flags: flags({ persistent: true, sched1: true, sched2: true }), timeoutS: 600, netmask: 0xffffff00 }),
        destinations: [destination("10.0.0.8", 443, "direct-route", 1)],
      },
      { ...service(fwmark(7), "lc"), destinations: [destination("10.0.0.9", 0, "direct-route", 4)] },
      { ...service(v6, "wlc"), destinations: [destination("2001:db8::2", 8080, "masquerade", 2)] },
      {
        ...service(fwmark(9, 6), "rr", { flags: flags({ persistent: true }), timeoutS: 300, netmask: 64 }),
        destinations: [destination("2001:db8::3", 0, "direct-route", 1)],
      },
    ],
  };
}

/** The same table as ipvsadm 1.31 writes it, one command line each. */
export function ipvsadmCommands(): string[] {
  return [
    "-A -t 10.0.0.1:80 -s wrr",
    "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 3",
    "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1 -x 100 -y 10",
    "-a -t 10.0.0.1:80 -r 10.0.0.4:80 -i -w 1",
    "-a -t 10.0.0.1:80 -r 10.0.0.5:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-nocsum",
    "-a -t 10.0.0.1:80 -r 10.0.0.6:80 -i -w 2 --tun-type gre --tun-csum",
    "-A -u 10.0.0.1:53 -s rr -o",
    "-a -u 10.0.0.1:53 -r 10.0.0.2:53 -m -w 1",
    "-A --sctp-service 10.0.0.1:9 -s rr",
    "-a --sctp-service 10.0.0.1:9 -r 10.0.0.2:9 -m -w 1",
    "-A -t 10.0.0.7:443 -s sh -b sh-fallback,sh-port -p 600 -M 255.255.255.0",
    "-a -t 10.0.0.7:443 -r 10.0.0.8:443 -g -w 1",
    "-A -f 7 -s lc",
    "-a -f 7 -r 10.0.0.9:0 -g -w 4",
    "-A -t [2001:db8::1]:80 -s wlc",
    "-a -t [2001:db8::1]:80 -r [2001:db8::2]:8080 -m -w 2",
    "-A -f 9 -6 -s rr -p 300 -M 64",
    "-a -f 9 -6 -r [2001:db8::3]:0 -g -w 1",
  ];
}

/** A table's ops from empty, as reconcile orders them: each service, then its destinations. */
export function opsToBuild(table: IpvsTable<DesiredService>): IpvsOp[] {
  return table.services.flatMap(({ destinations, ...spec }): IpvsOp[] => [
    { kind: "add-service", service: spec },
    ...destinations.map((d): IpvsOp => ({ kind: "add-destination", service: spec.key, destination: d })),
  ]);
}

export const richTableOps = (): IpvsOp[] => opsToBuild(richTable());

/** Changes in place (scheduler, weight and thresholds) and deletions, and a destination added. */
export function updateOps(): IpvsOp[] {
  return [
    { kind: "set-service", service: service(vip, "rr"), changed: ["scheduler"] },
    {
      kind: "set-destination",
      service: vip,
      destination: destination("10.0.0.2", 80, "masquerade", 5, { upperThreshold: 50, lowerThreshold: 5 }),
      changed: ["weight", "upperThreshold", "lowerThreshold"],
    },
    { kind: "delete-destination", service: vip, destination: { address: ip("10.0.0.3"), port: 80 }, breaksConnections: true },
    { kind: "delete-service", key: udp("10.0.0.1", 53), breaksConnections: true },
    { kind: "set-service", service: service(fwmark(7), "wrr"), changed: ["scheduler"] },
    {
      kind: "add-destination",
      service: v6,
      destination: destination("2001:db8::4", 8080, "tunnel", 1, { tunnel: { type: "ipip", port: 0, checksum: "nocsum" } }),
    },
  ];
}

/** richTable() after updateOps(). */
export function updatedRichTable(): IpvsTable<DesiredService> {
  const [web, , sctpService, sh, mark7, web6, mark9] = richTable().services as [
    DesiredService,
    DesiredService,
    DesiredService,
    DesiredService,
    DesiredService,
    DesiredService,
    DesiredService,
  ];
  return {
    services: [
      {
        ...web,
        scheduler: "rr",
        destinations: web.destinations
          .filter((d) => d.address.text !== "10.0.0.3")
          .map((d) => (d.address.text === "10.0.0.2" ? { ...d, weight: 5, upperThreshold: 50, lowerThreshold: 5 } : d)),
      },
      sctpService,
      sh,
      { ...mark7, scheduler: "wrr" },
      {
        ...web6,
        destinations: [...web6.destinations, destination("2001:db8::4", 8080, "tunnel", 1, { tunnel: { type: "ipip", port: 0, checksum: "nocsum" } })],
      },
      mark9,
    ],
  };
}

/** `services` TCP services (10.100.x.y:80, wrr) of `perService` NAT destinations each (10.200.0.n:8080, weight n). */
export function loadOps(services: number, perService: number): IpvsOp[] {
  const table: IpvsTable<DesiredService> = {
    services: Array.from({ length: services }, (_, i) => ({
      ...service(tcp(`10.100.${i >> 8}.${i & 255}`, 80), "wrr"),
      destinations: Array.from({ length: perService }, (_, j) => destination(`10.200.0.${j + 1}`, 8080, "masquerade", j + 1)),
    })),
  };
  return opsToBuild(table);
}
