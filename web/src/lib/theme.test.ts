// Every text/background pair of every show's theme meets WCAG AA (4.5:1), read from
// the stylesheet the overlays use (src/lib/theme.css), so a colour changed there is
// checked here.
/// <reference types="node" />
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { contrast } from "./branding";

const css = readFileSync(new URL("./theme.css", import.meta.url), "utf8");

/** `--name: #hex` declarations of each `[data-show="…"]` block. */
function shows(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const m of css.matchAll(/([^{}]*)\{([^}]*)\}/g)) {
    const vars = Object.fromEntries([...m[2].matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)].map((v) => [v[1], v[2]]));
    for (const show of m[1].matchAll(/data-show="([\w-]+)"/g)) out[show[1]] = { ...out[show[1]], ...vars };
  }
  return out;
}


/** The bar's and the alert card's background. */
const DARK = "#241f33";

describe("overlay themes", () => {
  const themes = shows();

  it("defines every show with its colours", () => {
    expect(Object.keys(themes).sort()).toEqual(["coding", "ironmon", "variety"]);
    for (const [show, v] of Object.entries(themes))
      for (const k of ["accent", "on-accent", "accent-2", "train-from", "train-to", "on-train"]) expect(v[k], `${show} --${k}`).toMatch(/^#/);
  });

  it("meets 4.5:1 for every text on its background", () => {
    for (const [show, v] of Object.entries(themes)) {
      const pairs: [string, string, string][] = [
        ["brand and latest chip", v["on-accent"], v.accent],
        ["sub train, left", v["on-train"], v["train-from"]],
        ["sub train, right", v["on-train"], v["train-to"]],
        ["labels on the bar and card", v["accent-2"], DARK],
      ];
      for (const [what, fg, bg] of pairs) expect(contrast(fg, bg), `${show}: ${what} (${fg} on ${bg})`).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("tells a failing pair apart (white on orange, the old ironmon sub train)", () => {
    expect(contrast("#ffffff", "#ff9f43")).toBeLessThan(4.5);
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
  });
});
