import { describe, expect, it } from "vitest";
import schema from "../../../docs/schema/stream_state.schema.json";
import { parseState, type Item, type StreamState } from "./stream_state";

// Every key of the TS types, listed so the compiler checks the list (an object
// literal that `satisfies` a Record must name every key and no other).
const stateKeys = {
  current_show: true,
  base: true,
  alerts: true,
  ticker: true,
  timeline: true,
  metadata: true,
} satisfies Record<keyof StreamState, true>;
const itemKeys = {
  id: true,
  type: true,
  layer: true,
  priority: true,
  started_at: true,
  duration: true,
  data: true,
} satisfies Record<keyof Item, true>;

describe("the stream_state contract", () => {
  it("names the schema's required fields, and only fields the schema knows", () => {
    expect(Object.keys(stateKeys).sort()).toEqual([...schema.required].sort());
    for (const k of Object.keys(stateKeys)) expect(Object.keys(schema.properties)).toContain(k);
  });

  it("has the schema's item fields", () => {
    expect(Object.keys(itemKeys).sort()).toEqual(Object.keys(schema.$defs.item.properties).sort());
  });

  it("parses a push into every field, and refuses what is not a state", () => {
    const s = parseState({
      current_show: "ironmon",
      base: null,
      alerts: [{ id: "a", type: "channel.follow", layer: "foreground", priority: 100, started_at: "t", data: {} }],
      ticker: ["emote_stats"],
      timeline: [],
      metadata: { last_updated: "t", state_version: 2 },
    });
    expect(s && Object.keys(s).sort()).toEqual(Object.keys(stateKeys).sort());
    expect(parseState("nope")).toBeNull();
  });
});
