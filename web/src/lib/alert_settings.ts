// The streamer's alert settings as the hub pushes them (`alert_settings` on
// `stream:overlays`, on join and on every change), and how an alert's words are made
// from them. Pure: tested in Node, used by the omnibar and the dashboard's preview.
//
// The hub checks every setting (crates/hub/src/producer/alert_settings.rs); this side
// only trusts what parses and falls back to the built-in words otherwise.

import { isObj, type Item } from "./stream_state";

export interface AlertStyle {
  enabled: boolean;
  kicker: string;
  title: string;
  detail: string;
  min_amount: number;
  duration_ms: number;
  accent: string | null;
  variant: string;
  image: string | null;
  sound: string | null;
  volume: number;
}

export interface AlertSettings {
  types: Record<string, AlertStyle>;
  styles: string[];
  variables: string[];
  variants: string[];
}

const str = (v: unknown, d = "") => (typeof v === "string" ? v : d);
const num = (v: unknown, d: number) => (typeof v === "number" && Number.isFinite(v) ? v : d);
const media = (v: unknown) => (typeof v === "string" && /^[0-9a-f]{16}\.[a-z0-9]+$/.test(v) ? v : null);

function style(v: unknown): AlertStyle | null {
  if (!isObj(v)) return null;
  return {
    enabled: v.enabled !== false,
    kicker: str(v.kicker),
    title: str(v.title, "{user}"),
    detail: str(v.detail),
    min_amount: num(v.min_amount, 0),
    duration_ms: num(v.duration_ms, 10_000),
    accent: typeof v.accent === "string" && /^#[0-9a-f]{6}$/i.test(v.accent) ? v.accent : null,
    variant: str(v.variant, "card"),
    image: media(v.image),
    sound: media(v.sound),
    volume: Math.min(1, Math.max(0, num(v.volume, 0.8))),
  };
}

export function parseAlertSettings(p: unknown): AlertSettings | null {
  if (!isObj(p) || !isObj(p.types)) return null;
  const types: Record<string, AlertStyle> = {};
  for (const [k, v] of Object.entries(p.types)) {
    const s = style(v);
    if (s) types[k] = s;
  }
  const list = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : []);
  return { types, styles: list(p.styles), variables: list(p.variables), variants: list(p.variants) };
}

export const tierLabel = (tier: unknown) => (tier === "2000" ? "Tier 2" : tier === "3000" ? "Tier 3" : "Tier 1");

/** A count as people read it: 1,234. */
export const count = (n: unknown) => (typeof n === "number" && Number.isFinite(n) ? n : Number(n) || 0).toLocaleString("en-US");

/**
 * The cheermote tokens of a cheer's message ("Cheer100", "avalon50"). Any
 * word-then-number token counts when those tokens add up to the bits cheered
 * (Twitch puts them in the text; channel cheermotes have their own prefixes);
 * otherwise only the global `Cheer<n>`s do.
 */
function cheermoteWords(words: string[], bits: unknown): (w: string) => boolean {
  const motes = words.filter((w) => /^[a-z][a-z0-9]*?\d+$/i.test(w));
  const sum = motes.reduce((t, w) => t + Number(/\d+$/.exec(w)![0]), 0);
  return sum > 0 && sum === Number(bits) ? (w) => motes.includes(w) : (w) => /^cheer\d+$/i.test(w);
}

const wordsOf = (message: unknown) => (typeof message === "string" ? message.split(/\s+/).filter(Boolean) : []);

/** A cheer's message without its cheermotes ("Cheer100 great stream" → "great stream"). */
export function cheerText(message: unknown, bits: unknown): string {
  const words = wordsOf(message);
  const isMote = cheermoteWords(words, bits);
  return words.filter((w) => !isMote(w)).join(" ");
}

/**
 * The image of a cheer: the hub's `/cheermotes/<prefix>/<bits>` for its first
 * cheermote's prefix ("Cheer" when the text has none) at the bits cheered, so the
 * tier's gem shows. The hub answers 404 when Twitch cannot say; the card then
 * shows the cheer without it.
 */
export function cheermoteUrl(message: unknown, bits: unknown): string {
  const words = wordsOf(message);
  const first = words.find(cheermoteWords(words, bits));
  const prefix = first ? first.replace(/\d+$/, "") : "Cheer";
  const n = Math.max(0, Math.floor(Number(bits) || 0));
  return `/cheermotes/${encodeURIComponent(prefix)}/${n}`;
}

/** The template variables of an alert (or sub train) item, as text. */
export function alertVars(item: Item): Record<string, string> {
  const d = item.data;
  const user = str(d.user_name) || str(d.latest_subscriber) || str(d.subscriber);
  const amount = d.amount ?? d.bits ?? d.viewers ?? d.total ?? d.level;
  const message = isObj(d.message) ? str(d.message.text) : d.type === "channel.cheer" ? cheerText(d.message, d.bits) : str(d.message);
  return {
    user: user || "Someone",
    amount: amount == null ? "" : count(amount),
    months: d.latest_months ?? d.cumulative_months ? String(d.latest_months ?? d.cumulative_months) : "",
    tier: tierLabel(d.latest_tier ?? d.tier),
    message,
    reward: str(d.reward) || str(d.checkpoint_name),
    count: d.count == null ? "" : count(d.count),
  };
}

/**
 * Fill a template. Its parts are joined by " · "; a part whose variables are all
 * empty is left out, so "{amount} bits · {message}" without a message reads
 * "100 bits", not "100 bits · ".
 */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template
    .split(" · ")
    .map((part) => {
      const names = [...part.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      if (names.length > 0 && names.every((n) => !vars[n])) return "";
      return part.replace(/\{(\w+)\}/g, (_, n: string) => vars[n] ?? "");
    })
    .map((p) => p.trim())
    .filter(Boolean)
    .join(" · ");
}

/** The style of an item, if the settings have it. */
export function styleOf(settings: AlertSettings | null, item: Item): AlertStyle | null {
  const key = str(item.data.style);
  return (key && settings?.types[key]) || null;
}

/** Each style in the streamer's words. */
export const STYLE_LABELS: Record<string, string> = {
  follow: "Follows",
  sub: "Subs",
  resub: "Resubs",
  gift: "Gift subs",
  cheer: "Cheers",
  raid: "Raids",
  redemption: "Channel points",
  hype_train: "Hype train",
  checkpoint: "IronMON checkpoints",
  death: "IronMON run over",
};

/** What each style's minimum counts. */
export const AMOUNT_LABELS: Record<string, string> = {
  sub: "",
  resub: "months",
  gift: "gifted subs",
  cheer: "bits",
  raid: "raiders",
  redemption: "points",
  hype_train: "level",
  death: "checkpoints cleared",
};

/** Sample values for a preview or a test alert. */
export interface Sample {
  user: string;
  amount: number;
  message: string;
}

/** The item the producer would queue for `style` with these values (for a preview). */
export function sampleItem(style: string, s: Sample): Item {
  const base = { user_name: s.user, style };
  const data: Record<string, unknown> = (() => {
    switch (style) {
      case "follow":
        return { ...base, type: "channel.follow" };
      case "sub":
        return { ...base, latest_subscriber: s.user, latest_tier: "1000", count: 1 };
      case "resub":
        return { ...base, latest_subscriber: s.user, latest_tier: "1000", latest_months: s.amount, count: 1 };
      case "gift":
        return { ...base, type: "channel.subscription.gift", total: s.amount, tier: "1000" };
      case "cheer":
        return { ...base, type: "channel.cheer", bits: s.amount, message: `Cheer${s.amount} ${s.message}`.trim() };
      case "raid":
        return { ...base, type: "channel.raid", viewers: s.amount };
      case "redemption":
        return { ...base, type: "channel.channel_points_custom_reward_redemption.add", reward: "Hydrate", amount: s.amount, message: s.message };
      case "hype_train":
        return { ...base, type: "channel.hype_train.begin", amount: s.amount, user_name: "" };
      case "death":
        return { ...base, type: "death_alert", message: s.message || "lost to Brock", amount: s.amount, checkpoint_name: "BROCK" };
      default:
        return { ...base, type: "checkpoint_clear", checkpoint_name: s.message || "Brock" };
    }
  })();
  const layer = style === "sub" || style === "resub" ? "midground" : "foreground";
  return { id: `preview-${style}`, type: layer === "midground" ? "sub_train" : "alert", layer, priority: 80, started_at: "", data };
}
