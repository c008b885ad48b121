import { describe, expect, it } from "vitest";
import { parseState, type Item } from "../../lib/stream_state";
import { alertText, applyEmoteIncrement, distribute, dropAlert, latestFollowers, topEmotes } from "./model";

const item = (over: Partial<Item> & { id: string }): Item => ({
  type: "alert",
  layer: "foreground",
  priority: 100,
  started_at: "2026-11-24T10:00:00Z",
  data: {},
  ...over,
});

const state = (over: Record<string, unknown> = {}) =>
  parseState({
    current_show: "variety",
    base: item({ id: "t", type: "emote_stats", layer: "background", priority: 10, data: { regular_emotes: {} } }),
    alerts: [],
    ticker: ["emote_stats"],
    timeline: [],
    metadata: { last_updated: "2026-11-24T10:00:00Z", state_version: 3 },
    ...over,
  })!;

describe("omnibar layers from stream_state", () => {
  it("puts the first alert in the foreground and the sub train in the midground", () => {
    const train = item({ id: "s", type: "sub_train", layer: "midground", priority: 50, data: { count: 2 } });
    const follow = item({ id: "a", data: { type: "channel.follow", user_name: "Ann" } });
    const l = distribute(state({ alerts: [follow, train] }));
    expect(l.foreground?.id).toBe("a");
    expect(l.midground?.id).toBe("s");
    expect(l.background?.base?.type).toBe("emote_stats");
  });

  it("leaves the foreground empty when the first item is the sub train", () => {
    const train = item({ id: "s", type: "sub_train", layer: "midground", priority: 50 });
    const l = distribute(state({ alerts: [train] }));
    expect(l.foreground).toBeNull();
    expect(l.midground?.id).toBe("s");
  });

  it("shows the background bar for a timeline even without a ticker", () => {
    const t = item({ id: "f", type: "channel.follow", layer: "background", data: { user_name: "Bo" } });
    const l = distribute(state({ base: null, timeline: [t] }));
    expect(l.background?.timeline.map((x) => x.id)).toEqual(["f"]);
    expect(distribute(state({ base: null })).background).toBeNull();
  });

  it("survives malformed payloads", () => {
    expect(parseState(null)).toBeNull();
    expect(parseState("x")).toBeNull();
    const s = parseState({ alerts: [null, { id: 1 }, { id: "ok", type: "alert", layer: "sideways" }], base: 7 })!;
    expect(s.alerts.map((a) => [a.id, a.layer])).toEqual([["ok", "background"]]);
    expect(s.base).toBeNull();
    expect(s.current_show).toBe("variety");
  });
});

describe("omnibar content", () => {
  it("counts emote increments into today's top emotes", () => {
    let base: Item | null = state().base;
    for (let i = 0; i < 3; i++) base = applyEmoteIncrement(base, { type: "emote_increment", data: { emotes: ["avalonHYPE"], native_emotes: [] } });
    base = applyEmoteIncrement(base, { type: "emote_increment", data: { emotes: [{ name: "Kappa" }] } });
    expect(topEmotes(base!)).toEqual([
      { name: "avalonHYPE", count: 3, id: null },
      { name: "Kappa", count: 1, id: null },
    ]);
    // An id from the message's fragments is kept, so the ticker draws the image.
    base = applyEmoteIncrement(base, { type: "emote_increment", data: { emotes: ["Kappa"], emote_ids: { Kappa: "25" } } });
    expect(topEmotes(base!).find((e) => e.name === "Kappa")?.id).toBe("25");
    // Not emote stats on screen, or not an increment: unchanged.
    const other = item({ id: "x", type: "daily_stats", layer: "background" });
    expect(applyEmoteIncrement(other, { type: "emote_increment", data: { emotes: ["a"] } })).toBe(other);
    expect(applyEmoteIncrement(base, { type: "goals_update" })).toBe(base);
  });

  it("words each alert kind", () => {
    expect(alertText(item({ id: "1", data: { type: "channel.follow", user_name: "Ann", count: 2 } })).title).toBe("Ann ×2");
    expect(alertText(item({ id: "2", data: { type: "channel.cheer", user_name: "Bo", bits: 500 } })).detail).toBe("500 bits");
    expect(alertText(item({ id: "3", data: { type: "channel.raid", user_name: "Cy", viewers: 42 } })).detail).toMatch(/42 viewers/);
    expect(alertText(item({ id: "4", data: { type: "channel.subscription.gift", user_name: "Di", total: 5, tier: "2000" } })).detail).toBe(
      "gifted 5 Tier 2 subs",
    );
    expect(alertText(item({ id: "5", type: "manual_override", data: { message: "Hydrate!" } })).title).toBe("Hydrate!");
    expect(alertText(item({ id: "6", data: { type: "channel.follow", user_name: "Ed", replay: true } })).kicker).toBe("New follower (replay)");
    expect(alertText(item({ id: "7", data: { type: "channel.raid", user_name: "Fy", viewers: 12345 } })).detail).toBe(
      "is raiding with 12,345 viewers",
    );
  });

  it("drops one alert from a state", () => {
    const s = state({ alerts: [item({ id: "a" }), item({ id: "b" })] });
    expect(dropAlert(s, "a").alerts.map((a) => a.id)).toEqual(["b"]);
    expect(dropAlert(s, "nope").alerts).toEqual(s.alerts);
  });

  it("lists each recent follower once, newest first", () => {
    const f = (user_name: string) => ({ user_name });
    expect(latestFollowers([f("a"), f("b"), f("a"), f("c"), f("d")])).toEqual(["a", "b", "c"]);
    expect(latestFollowers(null)).toEqual([]);
  });
});
