// Live captions: the newest lines from `transcription:live`, at most two on screen.
// A line being spoken comes first as partials (`partial_transcription`, keyed by its
// utterance id) and is replaced in place by its final (`new_transcription`, whose id
// is the same); each line fades after HOLD_MS (a partial whose final never comes,
// after PARTIAL_HOLD_MS); a new line pushes the oldest out.

export const MAX_LINES = 2;
export const HOLD_MS = 7000;
export const FADE_MS = 600;
/** A partial nobody finished (the speech was not kept) leaves after this. */
export const PARTIAL_HOLD_MS = 4000;

/** Lines spoken longer ago than this are not shown (a replay after a long outage). */
export const STALE_MS = 30_000;

export interface Line {
  id: string;
  text: string;
  /** Still being spoken: drawn apart, replaced by the final. */
  partial?: boolean;
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

/** Text of a `partial_transcription` push, keyed by its utterance; null when empty or bad. */
export function partialOf(p: unknown, now = Date.now()): Line | null {
  if (typeof p !== "object" || p === null) return null;
  const v = p as Record<string, unknown>;
  if (typeof v.utterance_id !== "string" || !v.utterance_id) return null;
  const c = captionOf({ ...v, id: v.utterance_id }, now);
  return c && { ...c, partial: true };
}

/**
 * Add a line, or update the partial it finishes or grows (in place); returns the new
 * list and the ids pushed out. A line already final stays as it is (a replay, or a
 * partial arriving after its final).
 */
export function addLine(lines: Line[], c: Line): { lines: Line[]; dropped: string[] } {
  const at = lines.findIndex((l) => l.id === c.id);
  if (at >= 0) {
    if (!lines[at].partial) return { lines, dropped: [] };
    const next = [...lines];
    next[at] = { ...c };
    return { lines: next, dropped: [] };
  }
  const all = [...lines, { ...c }];
  const cut = Math.max(0, all.length - MAX_LINES);
  return { lines: all.slice(cut), dropped: all.slice(0, cut).map((l) => l.id) };
}
