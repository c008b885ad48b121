import { describe, expect, it } from "vitest";
import { emoteSrcs, HEIGHT, maxOf, Rain } from "./rain";

const seq = () => {
  let i = 0;
  return () => ((i = (i * 16807 + 7) % 2147483647) / 2147483647);
};

describe("Rain", () => {
  it("holds the cap under a flood and counts what it drops", () => {
    const r = new Rain(50, seq());
    for (let t = 0; t < 1000; t++) r.message(["/emotes/25", "/emotes/26"], t * 5);
    expect(r.sprites.length).toBe(50);
    expect(r.stats.peak).toBe(50);
    expect(r.stats.dropped).toBeGreaterThan(1000);
    expect(r.stats.spawned).toBe(50);
  });
  it("drops more per emote as chat speeds up", () => {
    const r = new Rain(500, seq());
    expect(r.perEmote(0)).toBe(1);
    for (let i = 0; i < 40; i++) r.message([], i * 100);
    expect(r.perEmote(4000)).toBe(4);
    expect(r.perEmote(20_000)).toBe(1);
  });
  it("sprites fall and leave below the canvas", () => {
    const r = new Rain(10, seq());
    r.spawn("/emotes/1");
    for (let i = 0; i < 200; i++) r.step(0.05);
    expect(r.sprites.length).toBe(0);
    expect(r.stats.live).toBe(0);
    r.spawn("/emotes/1");
    r.step(5); // a stalled tab moves at most 0.1 s
    expect(r.sprites[0].y).toBeLessThan(HEIGHT);
  });
  it("reads emote images and its cap safely", () => {
    expect(emoteSrcs({ fragments: [{ type: "emote", emote: { id: "25" } }, { type: "emote", emote: { id: "../x" } }, { type: "text", text: "hi" }] })).toEqual(["/emotes/25"]);
    expect(emoteSrcs(null)).toEqual([]);
    expect(maxOf("?max=40")).toBe(40);
    expect(maxOf("?max=1e9")).toBe(150);
  });
});
