import { describe as suite, expect, it } from "vitest";
import { CAP, describe, fromPush, fromRest, merge } from "./activity";

const push = (id: string, ts: string, type = "channel.follow") => fromPush({ id, type, timestamp: ts, user_name: id })!;

suite("activity log", () => {
  it("merges the REST page and live pushes by id, newest first", () => {
    const rest = [
      fromRest({ id: "a", event_type: "channel.follow", timestamp: "2026-01-01T10:00:00Z", user_name: "A", data: {} })!,
      fromRest({ id: "b", event_type: "channel.cheer", timestamp: "2026-01-01T10:01:00Z", user_name: "B", data: { bits: 5 } })!,
    ];
    let list = merge([], rest);
    list = merge(list, [push("c", "2026-01-01T10:02:00Z"), push("b", "2026-01-01T10:01:00Z", "channel.cheer")]);
    expect(list.map((a) => a.id)).toEqual(["c", "b", "a"]);
  });

  it("orders by time whatever the fraction digits", () => {
    const list = merge([], [push("a", "2026-01-01T10:00:05.120Z"), push("b", "2026-01-01T10:00:05.120500Z")]);
    expect(list.map((x) => x.id)).toEqual(["b", "a"]);
  });

  it("keeps at most CAP entries, dropping the oldest", () => {
    const many = Array.from({ length: CAP + 25 }, (_, i) => push(`e${i}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()));
    const list = merge([], many);
    expect(list.length).toBe(CAP);
    expect(list[0].id).toBe(`e${CAP + 24}`);
    expect(list.some((a) => a.id === "e0")).toBe(false);
  });

  it("refuses rows without an id and describes the common types", () => {
    expect(fromRest({ event_type: "x" })).toBeNull();
    expect(fromRest({ id: "s", event_type: "twitch.service_status", data: {} })).toBeNull();
    expect(fromPush({ id: "s", type: "twitch.service_status" })).toBeNull();
    expect(fromPush(null)).toBeNull();
    expect(describe(push("x", "2026-01-01T00:00:00Z"))).toBe("x followed");
    const chat = fromPush({ id: "m", type: "channel.chat.message", user_name: "Ann", message: { text: "hi" } })!;
    expect(describe(chat)).toBe("Ann: hi");
  });
});
