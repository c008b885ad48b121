import { describe, expect, it } from "vitest";
import { addLine, captionOf, MAX_LINES } from "./model";

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
  });
});
