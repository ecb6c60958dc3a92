// The director's own scheduling: keepalived's checker_* keywords as given, and below the VRRP
// engine (nice DIRECTOR_DEFAULT_NICE) when they set no priority.
import { describe, expect, test } from "bun:test";
import { DIRECTOR_DEFAULT_NICE, directorScheduling } from "../../../../src/daemon/director/director-command.ts";

describe("directorScheduling", () => {
  test("no checker_* keyword: the director runs niced below the engine", () => {
    expect(directorScheduling(undefined)).toEqual({ nice: DIRECTOR_DEFAULT_NICE });
    expect(DIRECTOR_DEFAULT_NICE).toBeGreaterThan(0);
  });

  test("checker_cpu_affinity alone keeps the affinity and adds the nice value", () => {
    expect(directorScheduling({ cpuAffinity: [1] })).toEqual({ cpuAffinity: [1], nice: DIRECTOR_DEFAULT_NICE });
  });

  test("checker_priority or checker_rt_priority given: as configured, keepalived's way", () => {
    expect(directorScheduling({ nice: -5 })).toEqual({ nice: -5 });
    expect(directorScheduling({ nice: 0 })).toEqual({ nice: 0 });
    expect(directorScheduling({ rtPriority: 20 })).toEqual({ rtPriority: 20 });
  });
});
