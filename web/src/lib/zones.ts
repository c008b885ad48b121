// Where each overlay draws on the 1920×1080 canvas. Every overlay page is its own
// OBS browser source, stacked in one scene, so they share this one map: no two
// zones intersect (tests/e2e/layout.test.mjs measures the drawn boxes), and a page
// that draws outside its zone is a defect.
//
// A zone can be moved for one browser source with `?zone=x,y,w,h` (pixels), e.g.
// captions higher up: `/overlays/captions?zone=260,120,1400,188`.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const CANVAS = { w: 1920, h: 1080 } as const;

export const ZONES = {
  /** The omnibar's bar: ticker and latest interactions, along the bottom. */
  bar: { x: 48, y: 988, w: 1824, h: 64 },
  /** The alert card, centred above the bar. */
  alert: { x: 560, y: 760, w: 800, h: 200 },
  /** The sub train, right of the alert. */
  train: { x: 1392, y: 864, w: 456, h: 96 },
  /** Live captions, above the alert. */
  captions: { x: 260, y: 556, w: 1400, h: 188 },
  /** The IronMON run card, top left. */
  ironmon: { x: 48, y: 48, w: 460, h: 420 },
  /** Now playing (Rainwave), top right. */
  music: { x: 1452, y: 48, w: 420, h: 140 },
  /** The chat, right, under the music and above the captions. */
  chat: { x: 1452, y: 204, w: 420, h: 340 },
} as const satisfies Record<string, Rect>;

export type Zone = keyof typeof ZONES;

export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** `x,y,w,h` inside the canvas, or null. */
export function parseRect(v: string | null): Rect | null {
  if (!v) return null;
  const n = v.split(",").map((p) => Number(p.trim()));
  if (n.length !== 4 || n.some((x) => !Number.isFinite(x) || x < 0)) return null;
  const [x, y, w, h] = n;
  if (w < 1 || h < 1 || x + w > CANVAS.w || y + h > CANVAS.h) return null;
  return { x, y, w, h };
}

/** The zone's rectangle, moved by `?zone=` when this page's URL says so. */
export function zoneRect(zone: Zone, search = typeof location === "undefined" ? "" : location.search): Rect {
  return parseRect(new URLSearchParams(search).get("zone")) ?? ZONES[zone];
}

/** Absolute placement for a zone's root element. */
export function zoneStyle(zone: Zone): Record<string, string> {
  const r = zoneRect(zone);
  return { position: "absolute", left: `${r.x}px`, top: `${r.y}px`, width: `${r.w}px`, height: `${r.h}px` };
}

/** The overlay pages, in the order they stack in an OBS scene (top first). */
export const OVERLAY_PAGES = [
  { name: "takeover", label: "Takeover (top)" },
  { name: "omnibar", label: "Omnibar: bar, alerts, sub train" },
  { name: "captions", label: "Captions" },
  { name: "ironmon", label: "IronMON (ironmon scenes)" },
  { name: "music", label: "Now playing (Rainwave)" },
  { name: "chat", label: "Chat" },
  { name: "emote-rain", label: "Emote rain (bottom: behind the rest)" },
] as const;
