import { describe, expect, it } from "vitest";
import { addLine, captionOf, MAX_LINES, partialOf } from "./model";

describe("captions", () => {
  it("keeps the newest two lines and reports the ones pushed out", () => {
    let lines = addLine([], { id: "a", text: "one" }).lines;
    lines = addLine(lines, { id: "b", text: "two" }).lines;
    const r = addLine(lines, { id: "c", text: "three" });
    expect(r.lines.map((l) => l.text)).toEqual(["two", "three"]);
    expect(r.dropped).toEqual(["a"]);
    expect(r.lines.length).toBe(MAX_LINES);
  });

  it("ignores a line it already has (a replay) and empty text", () => {
    const lines = addLine([], { id: "a", text: "one" }).lines;
    expect(addLine(lines, { id: "a", text: "one" }).lines).toBe(lines);
    expect(captionOf({ id: "x", text: "   " })).toBeNull();
    expect(captionOf({ id: "x", text: " hello\n  chat " })).toEqual({ id: "x", text: "hello chat" });
    expect(captionOf(null)).toBeNull();
    // A line from long ago (replayed after an outage) is not shown as live.
    const now = Date.parse("2026-11-24T12:00:00Z");
    expect(captionOf({ id: "o", text: "old", timestamp: "2026-11-24T11:59:00Z" }, now)).toBeNull();
    expect(captionOf({ id: "n", text: "new", timestamp: "2026-11-24T11:59:55Z" }, now)?.text).toBe("new");
  });

  it("grows a partial in place and lets its final replace it, never the other way", () => {
    const p1 = partialOf({ utterance_id: "u", text: "okay chat" })!;
    expect(p1).toEqual({ id: "u", text: "okay chat", partial: true });
    let lines = addLine([{ id: "a", text: "before" }], p1).lines;
    lines = addLine(lines, partialOf({ utterance_id: "u", text: "okay chat this is" })!).lines;
    expect(lines).toEqual([{ id: "a", text: "before" }, { id: "u", text: "okay chat this is", partial: true }]);
    // The final (same id) replaces it where it stands.
    lines = addLine(lines, captionOf({ id: "u", text: "Okay chat, this is it." })!).lines;
    expect(lines[1]).toEqual({ id: "u", text: "Okay chat, this is it." });
    // A late partial does not undo the final.
    expect(addLine(lines, partialOf({ utterance_id: "u", text: "okay" })!).lines).toBe(lines);
    expect(partialOf({ text: "no id" })).toBeNull();
  });
});
