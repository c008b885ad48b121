// The channel's look, as the hub pushes it (`branding` on `stream:overlays`), applied
// to a page by CSS variables on its root: the font, the corner radius and each show's
// colours, with the text on each colour picked for contrast (dark or light, whichever
// is more readable), so any colour the streamer picks stays legible.

import { isObj } from "./stream_state";

export interface Branding {
  name: string;
  logo: string | null;
  font: string;
  corners: string;
  shows: Record<string, { accent?: string | null; accent_2?: string | null }>;
}

export const FONT_FAMILIES: Record<string, string> = {
  inter: '"Inter Variable", "Noto Sans JP", sans-serif',
  outfit: '"Outfit Variable", "Noto Sans JP", sans-serif',
};

const hex = (v: unknown) => (typeof v === "string" && /^#[0-9a-f]{6}$/i.test(v) ? v.toLowerCase() : null);

export function parseBranding(p: unknown): Branding | null {
  if (!isObj(p)) return null;
  const shows: Branding["shows"] = {};
  if (isObj(p.shows))
    for (const [k, v] of Object.entries(p.shows)) if (isObj(v)) shows[k] = { accent: hex(v.accent), accent_2: hex(v.accent_2) };
  return {
    name: typeof p.name === "string" ? p.name : "",
    logo: typeof p.logo === "string" && /^[0-9a-f]{16}\.[a-z0-9]+$/.test(p.logo) ? p.logo : null,
    font: typeof p.font === "string" && p.font in FONT_FAMILIES ? p.font : "inter",
    corners: p.corners === "square" ? "square" : "rounded",
    shows,
  };
}

const luminance = (h: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(h.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

/** WCAG contrast ratio of two `#rrggbb` colours. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

export const LIGHT_TEXT = "#efefef";
export const DARK_TEXT = "#0d0a11";

/** The text colour for a background: light or dark, whichever contrasts more. */
export const textOn = (bg: string) => (contrast(LIGHT_TEXT, bg) >= contrast(DARK_TEXT, bg) ? LIGHT_TEXT : DARK_TEXT);

/** Whether some text colour meets WCAG AA (4.5:1) on `bg` (mid greys have none). */
export const readable = (bg: string) => contrast(textOn(bg), bg) >= 4.5;

/** The CSS variables for a page showing `show`: only what the streamer changed. */
export function brandingVars(b: Branding | null, show: string): Record<string, string> {
  if (!b) return {};
  const vars: Record<string, string> = {
    "--brand-font": FONT_FAMILIES[b.font] ?? FONT_FAMILIES.inter,
    "--radius-scale": b.corners === "square" ? "0.2" : "1",
  };
  const c = b.shows[show];
  if (c?.accent) {
    vars["--accent"] = c.accent;
    vars["--on-accent"] = textOn(c.accent);
    vars["--train-from"] = c.accent;
  }
  if (c?.accent_2) {
    vars["--accent-2"] = c.accent_2;
    vars["--train-to"] = c.accent_2;
  }
  // The sub train's text must read on both ends of its gradient.
  if (c?.accent || c?.accent_2) {
    const from = c.accent ?? null;
    const to = c.accent_2 ?? null;
    const ends = [from, to].filter((x): x is string => !!x);
    const light = Math.min(...ends.map((e) => contrast(LIGHT_TEXT, e)));
    const dark = Math.min(...ends.map((e) => contrast(DARK_TEXT, e)));
    vars["--on-train"] = light >= dark ? LIGHT_TEXT : DARK_TEXT;
  }
  return vars;
}
