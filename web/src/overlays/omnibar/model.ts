// What each omnibar layer shows, from one `stream_state` (a full replacement each
// time; docs/schema/stream_state.schema.json). Pure, so it is tested in Node.
//
// - foreground: the alert on screen (the queue's first item, when it is a foreground
//   alert or manual override);
// - midground: the sub train, wherever it waits in the queue (below an alert it is
//   covered: the orchestrator dims it);
// - background: the ticker item (`base`) with the latest interactions (`timeline`).
//   The timeline rides in the background bar rather than the midground: a midground
//   that is always filled would keep the ticker dimmed all stream.

import { alertVars, cheerText, count, renderTemplate, tierLabel, type AlertStyle } from "../../lib/alert_settings";
import { isObj, type Item, type StreamState } from "../../lib/stream_state";

export interface Background {
  id: string;
  base: Item | null;
  timeline: Item[];
}

export interface Layers {
  foreground: Item | null;
  midground: Item | null;
  background: Background | null;
}

export function distribute(s: StreamState): Layers {
  const first = s.alerts[0];
  const foreground = first && first.layer === "foreground" ? first : null;
  const midground = s.alerts.find((a) => a.layer === "midground") ?? null;
  const background =
    s.base || s.timeline.length > 0 ? { id: "background", base: s.base, timeline: s.timeline } : null;
  return { foreground, midground, background };
}

/** The state without one alert (an alert that left on its own while offline). */
export function dropAlert(s: StreamState, id: string): StreamState {
  return { ...s, alerts: s.alerts.filter((a) => a.id !== id) };
}

/** How long an alert stays when the hub cannot say it ended and it carries no duration. */
export const OFFLINE_ALERT_MS = 10_000;

/** Count emotes from a chat message into the base `emote_stats` (a `content_update`). */
export function applyEmoteIncrement(base: Item | null, update: unknown): Item | null {
  if (!base || base.type !== "emote_stats" || !isObj(update) || update.type !== "emote_increment") return base;
  const d = isObj(update.data) ? update.data : {};
  const names = (x: unknown): string[] =>
    Array.isArray(x)
      ? x.map((e) => (typeof e === "string" ? e : isObj(e) && typeof e.name === "string" ? e.name : isObj(e) && typeof e.text === "string" ? e.text : null))
          .filter((n): n is string => !!n)
      : [];
  const data = structuredClone(base.data);
  const ids = isObj(d.emote_ids) ? d.emote_ids : {};
  const bump = (key: "regular_emotes" | "native_emotes", list: string[]) => {
    const map: Record<string, any> = isObj(data[key]) ? data[key] : (data[key] = {});
    for (const n of list) {
      const c = isObj(map[n]) ? map[n] : (map[n] = { today: 0, alltime: 0 });
      c.today = (c.today ?? 0) + 1;
      c.alltime = (c.alltime ?? 0) + 1;
      if (typeof ids[n] === "string") c.id = ids[n];
    }
  };
  bump("regular_emotes", names(d.emotes));
  bump("native_emotes", names(d.native_emotes));
  return { ...base, data };
}

export interface EmoteCount {
  name: string;
  count: number;
  /** Its Twitch id when known: drawn as `/emotes/<id>`, else its name. */
  id: string | null;
}

/** The top emotes today, most used first. */
export function topEmotes(base: Item, n = 3): EmoteCount[] {
  const all: EmoteCount[] = [];
  for (const key of ["regular_emotes", "native_emotes"]) {
    const map = base.data[key];
    if (!isObj(map)) continue;
    for (const [name, c] of Object.entries(map)) {
      const count = isObj(c) ? Number(c.today ?? 0) : Number(c);
      const id = isObj(c) && typeof c.id === "string" && /^\w{1,64}$/.test(c.id) ? c.id : null;
      if (count > 0) all.push({ name, count, id });
    }
  }
  return all.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, n);
}

/** Followers for the ticker: newest first, each name once. */
export function latestFollowers(list: unknown, n = 3): string[] {
  const names: string[] = [];
  for (const f of Array.isArray(list) ? list : []) {
    const name = isObj(f) && typeof f.user_name === "string" ? f.user_name : null;
    if (name && !names.includes(name)) names.push(name);
    if (names.length === n) break;
  }
  return names;
}

/** The alert's words: the streamer's templates when its style has them, else the built-in ones. */
export function alertText(a: Item, style: AlertStyle | null = null): { kicker: string; title: string; detail: string } {
  const d = a.data;
  if (style) {
    const vars = alertVars(a);
    return {
      kicker: renderTemplate(style.kicker, vars) + (d.replay ? " (replay)" : ""),
      title: renderTemplate(style.title, vars) || vars.user,
      detail: renderTemplate(style.detail, vars),
    };
  }
  const who = typeof d.user_name === "string" && d.user_name ? d.user_name : "Someone";
  const times = typeof d.count === "number" && d.count > 1 ? ` ×${d.count}` : "";
  const replay = d.replay ? " (replay)" : "";
  switch (a.type === "alert" ? d.type : a.type) {
    case "channel.follow":
      return { kicker: "New follower" + replay, title: who + times, detail: "Welcome to the stream!" };
    case "channel.cheer":
    case "channel.cheer": {
      const words = cheerText(d.message, d.bits);
      return { kicker: "Cheer" + replay, title: who, detail: `${count(d.bits)} bits${words ? ` · ${words}` : ""}` };
    }
    case "channel.raid":
      return { kicker: "Raid" + replay, title: who, detail: `is raiding with ${count(d.viewers)} viewers` };
    case "channel.subscription.gift":
      return {
        kicker: "Gift subs" + replay,
        title: who,
        detail: `gifted ${d.total ?? 1} ${tierLabel(d.tier)} sub${(d.total ?? 1) === 1 ? "" : "s"}`,
      };
    case "checkpoint_clear":
      return { kicker: "Checkpoint cleared", title: String(d.checkpoint_name ?? "Checkpoint"), detail: d.seed_id ? `Seed ${d.seed_id}` : "" };
    case "death_alert":
      return { kicker: "Run over", title: String(d.message ?? "The run is over"), detail: `${count(d.amount ?? 0)} checkpoints cleared` };
    case "manual_override":
      return { kicker: "Announcement", title: String(d.message ?? d.title ?? d.type ?? "Heads up"), detail: String(d.detail ?? "") };
    default:
      return {
        kicker: String(d.type ?? a.type).replace(/[._]/g, " "),
        title: typeof d.message === "string" ? d.message : who,
        detail: "",
      };
  }
}

/** One timeline entry as a short chip. */
export function timelineText(t: Item): string {
  const d = t.data;
  const who = typeof d.user_name === "string" ? d.user_name : "someone";
  switch (t.type) {
    case "channel.follow":
      return `${who} followed`;
    case "channel.subscribe":
    case "channel.subscription.message":
      return `${who} subscribed (${tierLabel(d.tier)})`;
    case "channel.subscription.gift":
      return `${who} gifted ${d.total ?? 1}`;
    case "channel.cheer":
      return `${who} cheered ${count(d.bits)}`;
    case "channel.raid":
      return `${who} raided (${count(d.viewers)})`;
    default:
      return `${who}: ${t.type}`;
  }
}
