import { describe, expect, it } from "vitest";
import { addLine, applyDelete, colorOf, lineOf, settingsOf, type ChatLine } from "./model";

const ev = (id: string, user = "7", extra: Record<string, unknown> = {}) => ({
  type: "channel.chat.message", message_id: id, user_id: user, user_name: "Bob", color: "#1E90FF",
  badges: [{ set_id: "moderator", id: "1" }, { set_id: "unknown-thing", id: "1" }],
  message: "hi Kappa", fragments: [{ type: "text", text: "hi " }, { type: "emote", text: "Kappa", emote: { id: "25" } }], ...extra,
});

describe("lineOf", () => {
  it("reads names, colours, badges and emote images", () => {
    const l = lineOf(ev("m1"))!;
    expect(l.color).toBe("#1E90FF");
    expect(l.badges).toEqual([{ id: "moderator", label: "Mod" }]);
    expect(l.pieces).toEqual([{ kind: "text", text: "hi " }, { kind: "emote", text: "Kappa", src: "/emotes/25" }]);
  });
  it("keeps an emote with an unsafe id as text", () => {
    const l = lineOf(ev("m2", "7", { fragments: [{ type: "emote", text: "Evil", emote: { id: "../x" } }] }))!;
    expect(l.pieces).toEqual([{ kind: "text", text: "Evil" }]);
  });
  it("gives chatters without a colour a stable one", () => {
    expect(colorOf("", "42")).toBe(colorOf(null, "42"));
    expect(colorOf("red", "42")).toMatch(/^#[0-9A-F]{6}$/i);
  });
  it("refuses what cannot be shown", () => {
    expect(lineOf({})).toBeNull();
    expect(lineOf(ev("m3", "7", { fragments: [], message: "" }))).toBeNull();
  });
});

describe("the list", () => {
  const l = (id: string, user = "7") => lineOf(ev(id, user)) as ChatLine;
  it("keeps at most N lines, oldest leaving first, no duplicates", () => {
    let lines: ChatLine[] = [];
    for (const id of ["a", "b", "c", "c", "d"]) lines = addLine(lines, l(id), 3);
    expect(lines.map((x) => x.id)).toEqual(["b", "c", "d"]);
  });
  it("deletes one message, one chatter's, or all", () => {
    const lines = [l("a", "1"), l("b", "2"), l("c", "1")];
    expect(applyDelete(lines, "channel.chat.message_delete", { message_id: "b" }).map((x) => x.id)).toEqual(["a", "c"]);
    expect(applyDelete(lines, "channel.chat.clear_user_messages", { target_user_id: "1" }).map((x) => x.id)).toEqual(["b"]);
    expect(applyDelete(lines, "channel.chat.clear", {})).toEqual([]);
  });
  it("reads its URL settings with safe defaults", () => {
    expect(settingsOf("?max=5&fade=0&size=30&font=Outfit")).toEqual({ max: 5, fade: 0, size: 30, font: "Outfit" });
    expect(settingsOf("?max=999&fade=-1&size=x&font=a;b{}")).toEqual({ max: 12, fade: 30, size: 24, font: null });
  });
});
