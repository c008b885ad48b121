// What Rainwave is playing, from `overlay:music`: the initial state nests the song
// (`current_song`), events carry it flat (`song_title`, `artist`, … as the hub
// normalises `rainwave.*`). Both read into one `NowPlaying`.

export interface NowPlaying {
  id: string;
  title: string;
  artist: string;
  album: string;
  art: string | null;
  /** Unix seconds; null when Rainwave did not say. */
  start: number | null;
  end: number | null;
  station: string;
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" ? v : "");
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** `null` when nothing should show: not listening, turned off, or no song. */
export function nowPlaying(p: unknown): NowPlaying | null {
  if (!isObj(p)) return null;
  if (p.listening === false || p.enabled === false) return null;
  const s = isObj(p.current_song) ? p.current_song : p.song_title != null ? { ...p, title: p.song_title, id: p.song_id } : null;
  if (!s || !str(s.title)) return null;
  const art = str(s.album_art);
  return {
    id: String(s.id ?? s.title),
    title: str(s.title),
    artist: str(s.artist) || "Unknown",
    album: str(s.album),
    art: /^(https?:\/\/|\/)/.test(art) ? art : null,
    start: num(s.start_time),
    end: num(s.end_time),
    station: str(p.station_name),
  };
}

/** How far through the song, 0–1, at `nowSecs`. */
export function progress(n: NowPlaying, nowSecs: number): number {
  if (n.start === null || n.end === null || n.end <= n.start) return 0;
  return Math.min(1, Math.max(0, (nowSecs - n.start) / (n.end - n.start)));
}

/** `m:ss`. */
export function clock(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
