// Emote rain's physics and its bounds, kept apart from the canvas so they are tested
// without a browser. Each emote in chat drops sprites; faster chat drops more of them
// per emote. Live sprites are capped (`max`): a spawn beyond the cap is dropped and
// counted, so a spam wave cannot drop frames. Sprites fall with gravity, sway, spin,
// and leave once below the canvas.

export interface Sprite {
  src: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
  angle: number;
  spin: number;
  size: number;
}

export interface RainStats {
  live: number;
  peak: number;
  spawned: number;
  dropped: number;
}

export const GRAVITY = 900; // px/s²
export const WIDTH = 1920;
export const HEIGHT = 1080;

export class Rain {
  sprites: Sprite[] = [];
  stats: RainStats = { live: 0, peak: 0, spawned: 0, dropped: 0 };
  /** Message times (ms) in the last 5 s, for the rate. */
  private recent: number[] = [];

  constructor(
    readonly max: number,
    private random: () => number = Math.random,
  ) {}

  /** Chat messages per second over the last 5 s. */
  rate(nowMs: number): number {
    while (this.recent.length && this.recent[0] < nowMs - 5000) this.recent.shift();
    return this.recent.length / 5;
  }

  /** Sprites per emote for the current chat speed: 1, up to 4 in a flood. */
  perEmote(nowMs: number): number {
    return Math.min(4, 1 + Math.floor(this.rate(nowMs) / 2));
  }

  /** A chat message with these emote images arrived. Returns sprites added. */
  message(srcs: string[], nowMs: number): number {
    this.recent.push(nowMs);
    if (this.recent.length > 2000) this.recent.splice(0, this.recent.length - 2000);
    const n = this.perEmote(nowMs);
    let added = 0;
    for (const src of srcs.slice(0, 10)) for (let i = 0; i < n; i++) if (this.spawn(src)) added++;
    return added;
  }

  spawn(src: string): boolean {
    if (this.sprites.length >= this.max) {
      this.stats.dropped++;
      return false;
    }
    const r = this.random;
    const size = 48 + r() * 40;
    this.sprites.push({
      src,
      x: r() * (WIDTH - size),
      y: -size - r() * 200,
      vx: (r() - 0.5) * 80,
      vy: 60 + r() * 120,
      angle: (r() - 0.5) * 0.6,
      spin: (r() - 0.5) * 2,
      size,
    });
    this.stats.spawned++;
    this.stats.live = this.sprites.length;
    this.stats.peak = Math.max(this.stats.peak, this.stats.live);
    return true;
  }

  /** Advance `dt` seconds (clamped, so a stalled tab does not teleport sprites). */
  step(dt: number) {
    const t = Math.min(Math.max(dt, 0), 0.1);
    for (const s of this.sprites) {
      s.vy += GRAVITY * 0.25 * t;
      s.x += s.vx * t;
      s.y += s.vy * t;
      s.angle += s.spin * t;
    }
    this.sprites = this.sprites.filter((s) => s.y < HEIGHT + s.size);
    this.stats.live = this.sprites.length;
  }

  clear() {
    this.sprites = [];
    this.stats.live = 0;
  }
}

/** `?max=` live sprites (10–500, default 150). */
export function maxOf(search: string): number {
  const n = Number(new URLSearchParams(search).get("max"));
  return Number.isInteger(n) && n >= 10 && n <= 500 ? n : 150;
}

/** The emote images of a chat event (the hub's `emote_ids`, name → Twitch id). */
export function emoteSrcs(e: unknown): string[] {
  if (typeof e !== "object" || e === null) return [];
  const frags = (e as any).fragments;
  if (!Array.isArray(frags)) return [];
  const out: string[] = [];
  for (const f of frags) {
    const id = f?.type === "emote" ? f?.emote?.id : null;
    if (typeof id === "string" && /^[A-Za-z0-9_]{1,64}$/.test(id)) out.push(`/emotes/${id}`);
  }
  return out;
}
