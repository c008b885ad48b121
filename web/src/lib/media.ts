// Alert media in the overlay: the uploaded files' URLs, a preload of every file the
// settings name (so the first alert does not stutter while it loads), and one
// sound at a time (a new alert's sound stops the last one: never two at once).

import type { AlertSettings } from "./alert_settings";

export const mediaUrl = (name: string) => `/media/${name}`;
export const isVideo = (name: string) => name.endsWith(".webm");

/** Fetch every file the settings use into the browser cache (files are immutable). */
export function preloadMedia(settings: AlertSettings, loaded: Set<string>) {
  for (const s of Object.values(settings.types)) {
    for (const name of [s.image, s.sound]) {
      if (!name || loaded.has(name)) continue;
      loaded.add(name);
      void fetch(mediaUrl(name)).catch(() => loaded.delete(name));
    }
  }
}

/** Plays alert sounds through one `<audio>` element, one at a time. */
export class SoundPlayer {
  played = 0;
  constructor(private audio: HTMLAudioElement) {}

  play(name: string, volume: number) {
    const a = this.audio;
    a.pause();
    a.src = mediaUrl(name);
    a.volume = Math.min(1, Math.max(0, volume));
    a.currentTime = 0;
    this.played++;
    a.dataset.sound = name;
    // OBS browser sources may play sound unprompted; a browser tab may refuse until
    // the page is clicked, which costs nothing but the sound.
    void a.play().catch(() => undefined);
  }

  stop() {
    this.audio.pause();
  }
}
