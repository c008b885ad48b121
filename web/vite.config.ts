// Vite builds the pages into dist/, which `landale` serves (and embeds in release
// builds): /dashboard and /overlays/<name>. `npm run dev` serves them with hot
// reload and proxies the socket and the API to a running landale (LANDALE_URL,
// default http://127.0.0.1:7175).
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";
import { resolve } from "node:path";

const landale = process.env.LANDALE_URL ?? "http://127.0.0.1:7175";
const here = import.meta.dirname;
/** The OBS browser sources, each at /overlays/<name> (1920×1080, transparent). */
export const OVERLAYS = ["omnibar", "takeover", "captions", "ironmon", "music", "chat", "emote-rain"];

export default defineConfig({
  plugins: [solid()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: {
        dashboard: resolve(here, "dashboard/index.html"),
        ...Object.fromEntries(OVERLAYS.map((n) => [n, resolve(here, `overlays/${n}/index.html`)])),
      },
    },
  },
  server: {
    proxy: {
      "/socket": { target: landale, ws: true },
      "/api": landale,
    },
  },
});
