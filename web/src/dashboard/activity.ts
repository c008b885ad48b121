// The activity log: the REST first page, then live `twitch_event` pushes, merged by
// id (a replayed or repeated event appears once), newest first, capped.
import { words } from "../lib/words";

export const CAP = 200;

export interface Activity {
  id: string;
  timestamp: string;
  event_type: string;
  user_name: string | null;
  data: Record<string, any>;
}

const str = (v: unknown) => (typeof v === "string" ? v : null);

/** Service health reports (`twitch.service_status`, ...) are not viewer activity. */
export const isServiceStatus = (type: string) => type.endsWith(".service_status");

/** A row from `GET /api/activity/events`. */
export function fromRest(r: any): Activity | null {
  if (!r || typeof r.id !== "string" || typeof r.event_type !== "string" || isServiceStatus(r.event_type)) return null;
  return {
    id: r.id,
    timestamp: str(r.timestamp) ?? "",
    event_type: r.event_type,
    user_name: str(r.user_name) ?? str(r.user_login),
    data: r.data && typeof r.data === "object" ? r.data : {},
  };
}

/** A flat `twitch_event` push. */
export function fromPush(e: any): Activity | null {
  if (!e || typeof e.id !== "string" || typeof e.type !== "string" || isServiceStatus(e.type)) return null;
  return {
    id: e.id,
    timestamp: str(e.timestamp) ?? new Date().toISOString(),
    event_type: e.type,
    user_name: str(e.user_name) ?? str(e.user_login) ?? str(e.chatter_user_name),
    data: e,
  };
}

/** Microseconds since the epoch: by time, not by string (the REST rows and the pushes
 * write 0, 3 or 6 fraction digits), and finer than Date.parse's milliseconds. */
export function micros(ts: string): number {
  const frac = /\.(\d+)/.exec(ts)?.[1] ?? "";
  const whole = Date.parse(ts.replace(/\.\d+/, ""));
  return Number.isFinite(whole) ? whole * 1000 + Number((frac + "000000").slice(0, 6)) : 0;
}

export function merge(list: Activity[], more: Activity[]): Activity[] {
  const byId = new Map(list.map((a) => [a.id, a]));
  for (const a of more) byId.set(a.id, a);
  return [...byId.values()].sort((a, b) => micros(b.timestamp) - micros(a.timestamp)).slice(0, CAP);
}

/** One line of text for an activity row. */
export function describe(a: Activity): string {
  const who = a.user_name ?? "someone";
  const d = a.data;
  switch (a.event_type) {
    case "channel.chat.message":
      return `${who}: ${typeof d.message === "string" ? d.message : (d.message?.text ?? "")}`;
    case "channel.follow":
      return `${who} followed`;
    case "channel.subscribe":
      return `${who} subscribed`;
    case "channel.subscription.gift":
      return `${who} gifted ${d.total ?? 1} subs`;
    case "channel.subscription.message":
      return `${who} resubscribed`;
    case "channel.cheer":
      return `${who} cheered ${d.bits ?? 0} bits`;
    case "channel.raid":
      return `${d.from_broadcaster_user_name ?? who} raided with ${d.viewers ?? 0}`;
    case "stream.online":
      return "Stream went online";
    case "stream.offline":
      return "Stream went offline";
    default:
      return a.user_name ? `${words(a.event_type)}: ${a.user_name}` : words(a.event_type);
  }
}
