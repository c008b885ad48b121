import { describe, expect, it } from "vitest";
import { battleLine, checkpointLabel, parseRun } from "./run";

const view = {
  active: true, run_number: 1337, attempts: 12, checkpoints_cleared: 4, total_checkpoints: 24,
  current_checkpoint: "RIVAL2", next_checkpoint: { name: "BROCK", trainer: "Brock", clear_rate: 40 },
  location: { location_id: 2, location_name: "Pewter Gym" },
  team: [{ name: "Charmander", level: 12, hp: 4, max_hp: 31 }, { bogus: true }],
  battle: { trainer: "Brock", pokemon: [] }, last_battle: { trainer: "Rival", result: "win" }, ended: null,
  checkpoints: [{ name: "LAB", trainer: "None", cleared: true }, { name: "BROCK", trainer: "Brock", cleared: false }],
};

describe("parseRun", () => {
  it("reads the integration's view", () => {
    const r = parseRun(view)!;
    expect(r.runNumber).toBe(1337);
    expect(r.next).toEqual({ name: "BROCK", trainer: "Brock", clearRate: 40 });
    expect(r.location).toBe("Pewter Gym");
    expect(r.team).toEqual([{ name: "Charmander", level: 12, hp: 4, maxHp: 31 }]);
    expect(r.checkpoints.map((c) => c.cleared)).toEqual([true, false]);
    expect(battleLine(r)).toBe("Fighting Brock");
    expect(battleLine({ ...r, battle: null })).toBe("Beat Rival");
  });
  it("is null before a run and tolerates junk", () => {
    expect(parseRun({ active: false, run_number: null })).toBeNull();
    expect(parseRun(null)).toBeNull();
    expect(parseRun({ run_number: 3 })!.team).toEqual([]);
  });
  it("labels checkpoints for viewers", () => {
    expect(checkpointLabel("RIVAL3")).toBe("Rival 3");
    expect(checkpointLabel("SILPHCO")).toBe("Silph Co.");
    expect(checkpointLabel("BROCK")).toBe("Brock");
  });
});
