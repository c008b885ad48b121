// Live captions: the newest lines from `transcription:live`, at most two on screen.
// Each line fades after HOLD_MS; a new line pushes the oldest out.

export const MAX_LINES = 2;
export const HOLD_MS = 7000;
export const FADE_MS = 600;

/** Lines spoken longer ago than this are not shown (a replay after a long outage). */
export const STALE_MS = 30_000;

export interface Line {
  id: string;
  text: string;
}

/** Text of a `new_transcription` push, trimmed; null for an empty, bad or stale one. */
export function captionOf(p: unknown, now = Date.now()): { id: string; text: string } | null {
  if (typeof p !== "object" || p === null) return null;
  const v = p as Record<string, unknown>;
  const text = typeof v.text === "string" ? v.text.replace(/\s+/g, " ").trim() : "";
  if (!text) return null;
  const at = typeof v.timestamp === "string" ? Date.parse(v.timestamp) : NaN;
  if (Number.isFinite(at) && now - at > STALE_MS) return null;
  return { id: typeof v.id === "string" ? v.id : `${Date.now()}-${Math.random()}`, text };
}

/** Add a line; returns the new list and the ids pushed out. */
export function addLine(lines: Line[], c: { id: string; text: string }): { lines: Line[]; dropped: string[] } {
  if (lines.some((l) => l.id === c.id)) return { lines, dropped: [] }; // replayed twice
  const all = [...lines, { ...c }];
  const cut = Math.max(0, all.length - MAX_LINES);
  return { lines: all.slice(cut), dropped: all.slice(0, cut).map((l) => l.id) };
}
