// The chat overlay's model: a chat event read into a line (name, colour, badges,
// text and emote pieces), the page's settings from its URL, and the list rules
// (at most N lines, deletions at once). Pure, so it is tested without a browser.

export type Piece = { kind: "text"; text: string } | { kind: "emote"; text: string; src: string };

export interface Badge {
  id: string;
  label: string;
}

export interface ChatLine {
  id: string;
  userId: string;
  name: string;
  color: string;
  badges: Badge[];
  pieces: Piece[];
  action: boolean;
}

export interface ChatSettings {
  /** Lines on screen at most. */
  max: number;
  /** Seconds before a line fades (0: never). */
  fade: number;
  /** Font size in px. */
  size: number;
  font: string | null;
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" ? v : "");

/** An emote id Twitch could have made (the hub's rule): no path tricks in the URL. */
export const emoteId = (id: string) => /^[A-Za-z0-9_]{1,64}$/.test(id);

const BADGES: Record<string, string> = {
  broadcaster: "Streamer",
  moderator: "Mod",
  vip: "VIP",
  subscriber: "Sub",
  founder: "Founder",
  partner: "Partner",
  staff: "Staff",
  artist: "Artist",
};

/** Twitch's fallback colours for chatters who never picked one (by user id). */
const FALLBACK = ["#FF0000", "#0000FF", "#008000", "#B22222", "#FF7F50", "#9ACD32", "#FF4500", "#2E8B57", "#DAA520", "#D2691E", "#5F9EA0", "#1E90FF", "#FF69B4", "#8A2BE2", "#00FF7F"];

export function colorOf(color: unknown, userId: string): string {
  const c = str(color);
  if (/^#[0-9a-fA-F]{6}$/.test(c)) return c;
  let h = 0;
  for (const ch of userId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return FALLBACK[h % FALLBACK.length];
}

/** A `channel.chat.message` event (the hub's flat fields), or null when unusable. */
export function lineOf(e: unknown): ChatLine | null {
  if (!isObj(e)) return null;
  const id = str(e.message_id) || str(e.id);
  const name = str(e.user_name) || str(e.user_login);
  if (!id || !name) return null;
  const userId = str(e.user_id);
  const pieces: Piece[] = [];
  const frags = Array.isArray(e.fragments) ? e.fragments : [];
  for (const f of frags) {
    if (!isObj(f)) continue;
    const text = str(f.text);
    const eid = isObj(f.emote) ? str(f.emote.id) : "";
    if (f.type === "emote" && eid && emoteId(eid)) pieces.push({ kind: "emote", text, src: `/emotes/${eid}` });
    else if (text) pieces.push({ kind: "text", text });
  }
  if (pieces.length === 0 && str(e.message)) pieces.push({ kind: "text", text: str(e.message) });
  if (pieces.length === 0) return null;
  const badges: Badge[] = (Array.isArray(e.badges) ? e.badges : [])
    .filter(isObj)
    .map((b) => str(b.set_id))
    .filter((s) => s in BADGES)
    .map((s) => ({ id: s, label: BADGES[s] }));
  return { id, userId, name, color: colorOf(e.color, userId), badges, pieces, action: e.message_type === "action" || /^\u0001ACTION /.test(str(e.message)) };
}

function num(v: string | null, lo: number, hi: number, dflt: number): number {
  const n = v === null ? NaN : Number(v);
  return Number.isFinite(n) && n >= lo && n <= hi ? n : dflt;
}

/** `?max=12&fade=30&size=24&font=Outfit`: bad values fall back to the defaults. */
export function settingsOf(search: string): ChatSettings {
  const q = new URLSearchParams(search);
  const font = q.get("font");
  return {
    max: Math.round(num(q.get("max"), 1, 50, 12)),
    fade: num(q.get("fade"), 0, 3600, 30),
    size: num(q.get("size"), 10, 72, 24),
    font: font && /^[\w \-]{1,60}$/.test(font) ? font : null,
  };
}

/** Add a line; the oldest leave beyond `max`. */
export function addLine(lines: ChatLine[], l: ChatLine, max: number): ChatLine[] {
  if (lines.some((x) => x.id === l.id)) return lines;
  const next = [...lines, l];
  return next.length > max ? next.slice(next.length - max) : next;
}

/** After a delete event: `message_delete` removes one, `clear_user_messages` a chatter's, `chat.clear` all. */
export function applyDelete(lines: ChatLine[], type: string, e: Record<string, any>): ChatLine[] {
  switch (type) {
    case "channel.chat.message_delete":
      return lines.filter((l) => l.id !== str(e.message_id));
    case "channel.chat.clear_user_messages":
      return lines.filter((l) => l.userId !== str(e.target_user_id));
    case "channel.chat.clear":
      return [];
    default:
      return lines;
  }
}
