// Vite builds the pages into dist/, which `landale` serves (and embeds in release
// builds): /dashboard now, /overlays/<name> next. `npm run dev` serves them with hot
// reload and proxies the socket and the API to a running landale (LANDALE_URL,
// default http://127.0.0.1:7175).
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";
import { resolve } from "node:path";

const landale = process.env.LANDALE_URL ?? "http://127.0.0.1:7175";
const here = import.meta.dirname;

export default defineConfig({
  plugins: [solid()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: { dashboard: resolve(here, "dashboard/index.html") },
    },
  },
  server: {
    proxy: {
      "/socket": { target: landale, ws: true },
      "/api": landale,
    },
  },
});
