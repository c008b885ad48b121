// The desktop app (landale-desktop, Tauri) driven with WebDriver (tauri-driver in front
// of Debian's WebKitWebDriver) under xvfb-run and a private D-Bus session, against a
// real hub with a real nurvus on one "machine":
// - first run: the setup window tests a wrong token (refused with why), then the right
//   one, and keeps it sealed in the settings file;
// - next start: the remembered hub's dashboard opens, with the token handed over;
// - a global hotkey (xdotool, the focus elsewhere) and a tray menu item (clicked over
//   dbusmenu, as a panel does) each change the hub's queue;
// - a service that fails raises one notification however many polls see it, and the
//   tray's "Restart a failed service" brings it back;
// - a screenshot of the window is the dashboard, checked by its pixels.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFile, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { LANDALE_BIN, NURVUS_BIN, freePort, onPath, pixels, startLandale, startNurvus } from "../e2e/harness.mjs";
import { session, until } from "./webdriver.mjs";
import { countingRelay } from "./relay.mjs";
import { trayClick, trayMenu, trayOwner, watchNotifications } from "./dbus.mjs";

const APP = process.env.LANDALE_DESKTOP_BIN || "";
const DRIVER = process.env.TAURI_DRIVER_BIN || "";
const NATIVE = process.env.WEBKIT_WEBDRIVER || "/usr/bin/WebKitWebDriver";
const sh = promisify(execFile);

function missing() {
  if (!APP || !LANDALE_BIN || !NURVUS_BIN) return "LANDALE_DESKTOP_BIN, LANDALE_BIN or NURVUS_BIN is not set: run through cargo xtask test";
  if (!DRIVER || !existsSync(DRIVER)) return "tauri-driver is not installed (cargo install tauri-driver; .ci/run does)";
  if (!existsSync(NATIVE)) return `${NATIVE} not found (apt-get install webkit2gtk-driver; .ci/run does)`;
  for (const p of ["xdotool", "gdbus", "dbus-monitor"]) if (!onPath(p)) return `${p} is not installed (.ci/run installs it)`;
  if (!process.env.DISPLAY || !process.env.DBUS_SESSION_BUS_ADDRESS) return "no X display or D-Bus session: run through cargo xtask test (dbus-run-session + xvfb-run)";
  return null;
}

test("desktop app: setup, dashboard, hotkey, tray, one notification per failure, screenshot", { timeout: 300_000 }, async (t) => {
  const why = missing();
  if (why) return t.skip(why);

  const dir = mkdtempSync(join(tmpdir(), "landale-desktop-e2e-"));
  const flag = join(dir, "no-audio-device");
  const config = join(dir, "config");
  const nurvus = await startNurvus(await freePort(), [
    {
      id: "captioner",
      name: "Captioner",
      command: "sh",
      args: ["-c", `if [ -e '${flag}' ]; then echo 'no audio device' >&2; exit 3; fi; exec sleep 1000`],
      auto_restart: true,
      max_restarts: 1,
      restart_window: 60,
    },
  ]);
  const hub = await startLandale({ NURVUS_URLS: `streaming=${nurvus.url}` });
  const relay = await countingRelay(hub.port);
  const notes = watchNotifications();
  const dunst = onPath("dunst") ? spawn("dunst", [], { stdio: "ignore" }) : null;
  t.after(async () => {
    notes.stop();
    dunst?.kill();
    relay.close();
    hub.stop();
    await nurvus.stop();
    nurvus.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  await notes.ready;
  const queue = async () => (await hub.get("/api/queue")).body.data;

  // --- First run: nothing kept yet, so the setup window asks and tests. ---
  {
    const app = await session({ driver: DRIVER, native: NATIVE, application: APP, env: { LANDALE_DESKTOP_CONFIG_DIR: config } });
    try {
      await app.waitFor("#url");
      assert.equal(await app.title(), "Connect Landale to your hub");
      await app.type("#url", relay.base);
      await app.type("#token", "not-the-token-at-all");
      await app.click("#test");
      const refused = await until(async () => {
        const text = await app.text("#result");
        return text && text !== "Testing…" && text;
      }, 20_000, "the test's answer");
      // The hub trusts loopback, so it lets the wrong token in; the app still says it is wrong.
      assert.match(refused, /not its token/);
      assert.equal(existsSync(join(config, "settings.json")), false, "nothing kept after a failed test");
      await app.type("#token", hub.token);
      await app.click("#save");
      const kept = await until(() => existsSync(join(config, "settings.json")) && JSON.parse(readFileSync(join(config, "settings.json"), "utf8")), 20_000, "settings.json");
      assert.equal(kept.url, relay.base);
      assert.ok(kept.token_sealed, "the token is kept sealed");
      assert.ok(!readFileSync(join(config, "settings.json"), "utf8").includes(hub.token), "never in the clear");
    } finally {
      await app.quit();
    }
  }

  // Poll every second for the test (a setting like the others).
  const file = join(config, "settings.json");
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), poll_seconds: 1 }, null, 2));

  // --- Next start: the remembered hub's dashboard, no setup. ---
  const app = await session({ driver: DRIVER, native: NATIVE, application: APP, env: { LANDALE_DESKTOP_CONFIG_DIR: config } });
  t.after(() => app.quit());
  await until(async () => (await app.url()).startsWith(`${relay.base}/dashboard`), 30_000, "the dashboard");
  await app.waitFor('[data-testid=machine][data-machine=streaming]', 60_000);
  assert.equal(await app.run("return localStorage.getItem('landale.token')"), hub.token, "the token handed to the dashboard");

  // The window, by its pixels: the dashboard's dark page with its panels and text, not
  // a blank or white webview.
  const png = await app.screenshot();
  // Kept for a look (cargo xtask test: target/desktop/window.png).
  if (process.env.DESKTOP_SHOTS) {
    mkdirSync(process.env.DESKTOP_SHOTS, { recursive: true });
    writeFileSync(join(process.env.DESKTOP_SHOTS, "window.png"), png);
  }
  const shot = await pixels(png);
  assert.ok(shot.width >= 1000 && shot.height >= 300, `window ${shot.width}x${shot.height}`);
  let dark = 0;
  let light = 0;
  let n = 0;
  for (let y = 0; y < shot.height; y += 3)
    for (let x = 0; x < shot.width; x += 3) {
      const [r, g, b] = shot.rgba(x, y);
      n++;
      if (r < 48 && g < 52 && b < 60) dark++;
      if (r > 170 && g > 170 && b > 170) light++;
    }
  assert.ok(dark / n > 0.6, `the dashboard's dark background covers ${((dark / n) * 100).toFixed(1)} %`);
  assert.ok(light / n > 0.002 && light / n < 0.2, `text covers ${((light / n) * 100).toFixed(2)} %`);

  // --- A global hotkey while another window has the focus: pause, then resume. ---
  const owner = await until(trayOwner, 30_000, "the tray item on the session bus");
  assert.equal((await queue()).is_paused, false);
  await sh("xdotool", ["key", "ctrl+alt+shift+p"]);
  await until(async () => (await queue()).is_paused === true, 15_000, "the hotkey to pause the queue");
  await sh("xdotool", ["key", "ctrl+alt+shift+p"]);
  await until(async () => (await queue()).is_paused === false, 15_000, "the hotkey to resume the queue");

  // --- The tray: technical difficulties on, then off. ---
  await trayClick(owner, "Technical difficulties");
  const on = await until(async () => (await queue()).takeover, 15_000, "the takeover from the tray");
  assert.equal(on.type, "technical-difficulties", JSON.stringify(on));
  await until(async () => (await trayMenu(owner)).find((i) => i.label === "Clear takeover")?.enabled, 15_000, "Clear takeover offered");
  await trayClick(owner, "Clear takeover");
  await until(async () => (await queue()).takeover === null, 15_000, "the takeover cleared from the tray");

  // --- A service fails: one notification, however many polls see it. ---
  const about = () => notes.seen.filter((s) => s.body.includes("captioner"));
  const before = notes.seen.length;
  writeFileSync(flag, "");
  const proc = async () => (await (await fetch(`${nurvus.url}/api/processes/captioner`)).json());
  const { pid } = await proc();
  assert.ok(pid, "the captioner runs");
  process.kill(pid, "SIGKILL");
  await until(() => about().length >= 1, 30_000, "the failure's notification");
  assert.equal(about()[0].summary, "A Landale service failed");
  assert.match(about()[0].body, /^captioner on streaming failed: gave up/);
  const seenAt = relay.counter.polls;
  await until(() => relay.counter.polls >= seenAt + 5, 30_000, "five more polls");
  assert.equal(about().length, 1, `one notification, not one per poll: ${JSON.stringify(notes.seen.slice(before))}`);

  // The tray offers the restart; it runs through the hub and nurvus.
  rmSync(flag);
  await until(async () => (await trayMenu(owner)).some((i) => i.label === "captioner on streaming"), 15_000, "the restart item");
  await trayClick(owner, "captioner on streaming");
  await until(async () => {
    const p = await proc();
    return p.status === "running";
  }, 30_000, "the captioner running again");
  await until(async () => (await trayMenu(owner)).some((i) => i.label === "Nothing has failed"), 15_000, "the tray clear again");
  assert.equal(about().length, 1, "its return is not announced");
});
