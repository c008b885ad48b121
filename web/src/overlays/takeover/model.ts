// The takeover overlay's state: one takeover at a time; a new one replaces the
// current one; it ends after its duration (0 = until cleared) or on takeover_clear.

export const KINDS = ["technical-difficulties", "screen-cover", "please-stand-by", "custom"] as const;

/** `m:ss` left, rounded up (a countdown never shows 0:00 while it is still up). */
export function countdown(msLeft: number): string {
  const s = Math.max(0, Math.ceil(msLeft / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export interface Takeover {
  id: string;
  kind: string;
  message: string;
  /** ms; 0 = until cleared. */
  duration: number;
}

let local = 0;

/** The `takeover` push, checked; null when it is not a takeover. */
export function parseTakeover(p: unknown): Takeover | null {
  if (typeof p !== "object" || p === null) return null;
  const v = p as Record<string, unknown>;
  const kind = typeof v.type === "string" && (KINDS as readonly string[]).includes(v.type) ? v.type : "custom";
  const duration = typeof v.duration === "number" && v.duration > 0 ? v.duration : 0;
  return {
    id: typeof v.id === "string" ? v.id : `local-${++local}`,
    kind,
    message: typeof v.message === "string" ? v.message : "",
    duration,
  };
}

/**
 * The line under a title, without the title said again: "Technical difficulties:
 * back in a moment" under "Technical Difficulties" reads "Back in a moment".
 */
export function withoutTitle(line: string, title: string): string {
  const l = line.trim();
  if (!title || !l.toLowerCase().startsWith(title.toLowerCase())) return l;
  const rest = l.slice(title.length).replace(/^[\s:;,.!—–-]+/, "");
  return rest ? rest[0].toUpperCase() + rest.slice(1) : "";
}

/** Title and line for each kind. */
export function takeoverText(t: Takeover): { title: string; line: string } {
  switch (t.kind) {
    case "technical-difficulties": {
      const title = "Technical Difficulties";
      return { title, line: withoutTitle(t.message, title) || "We'll be right back!" };
    }
    case "please-stand-by": {
      const title = "Please Stand By";
      return { title, line: withoutTitle(t.message, title) };
    }
    case "screen-cover":
      return { title: "", line: t.message };
    default:
      return { title: t.message || "Takeover Active", line: "" };
  }
}
