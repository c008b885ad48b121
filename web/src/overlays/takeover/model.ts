// The takeover overlay's state: one takeover at a time; a new one replaces the
// current one; it ends after its duration (0 = until cleared) or on takeover_clear.

export const KINDS = ["technical-difficulties", "screen-cover", "please-stand-by", "custom"] as const;

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

/** Title and line for each kind. */
export function takeoverText(t: Takeover): { title: string; line: string } {
  switch (t.kind) {
    case "technical-difficulties":
      return { title: "Technical Difficulties", line: t.message || "We'll be right back!" };
    case "please-stand-by":
      return { title: "Please Stand By", line: t.message };
    case "screen-cover":
      return { title: "", line: t.message };
    default:
      return { title: t.message || "Takeover Active", line: "" };
  }
}
