import { describe, expect, it } from "vitest";
import { countdown, parseTakeover, takeoverText, withoutTitle } from "./model";

describe("takeover", () => {
  it("reads the push and defaults an unknown type to custom", () => {
    const t = parseTakeover({ type: "please-stand-by", message: "soon", duration: 15000, id: "t1" })!;
    expect(t).toEqual({ id: "t1", kind: "please-stand-by", message: "soon", duration: 15000 });
    expect(parseTakeover({ type: "weird" })!.kind).toBe("custom");
    expect(parseTakeover({ type: "custom", duration: -5 })!.duration).toBe(0);
    expect(parseTakeover(null)).toBeNull();
  });

  it("words each type", () => {
    const t = (kind: string, message = "") => takeoverText({ id: "x", kind, message, duration: 0 });
    expect(t("technical-difficulties")).toEqual({ title: "Technical Difficulties", line: "We'll be right back!" });
    expect(t("please-stand-by", "5 min")).toEqual({ title: "Please Stand By", line: "5 min" });
    expect(t("screen-cover")).toEqual({ title: "", line: "" });
    expect(t("custom")).toEqual({ title: "Takeover Active", line: "" });
    // The hub's default line repeats the title: it is said once.
    expect(t("technical-difficulties", "Technical difficulties: back in a moment")).toEqual({
      title: "Technical Difficulties",
      line: "Back in a moment",
    });
    expect(t("please-stand-by", "Please stand by")).toEqual({ title: "Please Stand By", line: "" });
    expect(withoutTitle("Stand by for more", "Please Stand By")).toBe("Stand by for more");
  });

  it("counts down in m:ss, rounded up", () => {
    expect(countdown(300_000)).toBe("5:00");
    expect(countdown(61_001)).toBe("1:02");
    expect(countdown(400)).toBe("0:01");
    expect(countdown(-5)).toBe("0:00");
  });
});
