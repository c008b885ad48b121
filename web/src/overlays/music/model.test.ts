import { describe, expect, it } from "vitest";
import { clock, nowPlaying, progress } from "./model";

const song = { id: 7, title: "Bloody Tears", artist: "K. Matsubara", album: "Castlevania II", album_art: "http://127.0.0.1:9/album_art/70_320.jpg", start_time: 1000, end_time: 1200 };

describe("nowPlaying", () => {
  it("reads the nested initial state and the flat event alike", () => {
    const a = nowPlaying({ enabled: true, listening: true, station_name: "Covers", current_song: song })!;
    const b = nowPlaying({ enabled: true, listening: true, station_name: "Covers", song_id: 7, song_title: "Bloody Tears", artist: "K. Matsubara", album: "Castlevania II", album_art: song.album_art, start_time: 1000, end_time: 1200 })!;
    expect(a).toEqual(b);
    expect(a.station).toBe("Covers");
  });
  it("shows nothing when not listening, off, or without a song", () => {
    expect(nowPlaying({ listening: false, current_song: song })).toBeNull();
    expect(nowPlaying({ enabled: false, listening: true, current_song: song })).toBeNull();
    expect(nowPlaying({ listening: true, current_song: null })).toBeNull();
    expect(nowPlaying("junk")).toBeNull();
  });
  it("refuses an art URL that is not http or a path", () => {
    expect(nowPlaying({ listening: true, current_song: { ...song, album_art: "javascript:alert(1)" } })!.art).toBeNull();
  });
});

describe("progress", () => {
  it("runs from start to end and is clamped", () => {
    const n = nowPlaying({ listening: true, current_song: song })!;
    expect(progress(n, 1100)).toBe(0.5);
    expect(progress(n, 900)).toBe(0);
    expect(progress(n, 5000)).toBe(1);
    expect(progress({ ...n, end: null }, 1100)).toBe(0);
    expect(clock(125)).toBe("2:05");
  });
});
