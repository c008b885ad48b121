import { describe, expect, it } from "vitest";
import { machineLine, processLine } from "./fleet";

describe("fleet words", () => {
  it("describes a process by what is known", () => {
    expect(processLine({ id: "seed", state: "running", health: "healthy", cpu_percent: 2.14, memory_mb: 45, restarts: 1 })).toBe(
      "running · healthy · 2.1% CPU · 45 MB · 1 restart",
    );
    expect(processLine({ id: "x", state: "failed", error: "gave up: 3 restarts" })).toBe("failed · gave up: 3 restarts");
  });

  it("says why a machine is away", () => {
    expect(machineLine({ name: "a", url: "u", reachable: false, error: "no answer within 5 s", processes: [] })).toBe("unreachable: no answer within 5 s");
    expect(machineLine({ name: "a", url: "u", reachable: true, processes: [{ id: "1", state: "running" }, { id: "2", state: "failed" }] })).toBe(
      "1 of 2 running, 1 failed",
    );
  });
});
