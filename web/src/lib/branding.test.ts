import { describe, expect, it } from "vitest";
import { brandingVars, contrast, DARK_TEXT, LIGHT_TEXT, parseBranding, readable, textOn } from "./branding";

describe("branding", () => {
  it("picks readable text for any accent", () => {
    for (const bg of ["#ff9f43", "#6644e8", "#ffffff", "#000000", "#e5484d", "#5be058"]) {
      expect(contrast(textOn(bg), bg), bg).toBeGreaterThanOrEqual(4.5);
      expect(readable(bg)).toBe(true);
    }
    // A mid grey has no text colour that meets AA: the better one is used, and the
    // dashboard warns.
    expect(readable("#777777")).toBe(false);
    expect(contrast(textOn("#777777"), "#777777")).toBe(Math.max(contrast(LIGHT_TEXT, "#777777"), contrast(DARK_TEXT, "#777777")));
  });

  it("turns the pushed look into CSS variables, only for what was changed", () => {
    const b = parseBranding({ name: "Avalonstar", font: "outfit", corners: "square", shows: { ironmon: { accent: "#FF0000", accent_2: "bad" } } })!;
    expect(b.shows.ironmon.accent_2).toBeNull();
    const v = brandingVars(b, "ironmon");
    expect(v["--accent"]).toBe("#ff0000");
    expect(v["--brand-font"]).toMatch(/Outfit/);
    expect(v["--radius-scale"]).toBe("0.2");
    expect(v["--accent-2"]).toBeUndefined();
    expect(brandingVars(b, "variety")["--accent"]).toBeUndefined();
    expect(brandingVars(null, "variety")).toEqual({});
    expect(parseBranding({ font: "comic", logo: "../x.png" })).toMatchObject({ font: "inter", logo: null });
  });
});
