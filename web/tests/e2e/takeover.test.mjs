// Takeovers from the dashboard's panel to /overlays/takeover in Chromium against a
// real landale: show, replace, expire (the hub's clock), clear.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig, pixels } from "./harness.mjs";

test("takeover: show, replace, expire and clear from the dashboard", { timeout: 120_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, ctl, errors } = rig;
  const overlay = await rig.page();
  const dash = await rig.page({ width: 1280, height: 900 });
  let offline = false;
  await overlay.routeWebSocket(/\/socket\/websocket/, (ws) => (offline ? ws.close() : ws.connectToServer()));
  await overlay.goto(`${hub.base}/overlays/takeover?debug=1`);
  await dash.goto(`${hub.base}/dashboard`);
  await overlay.waitForFunction(() => window.debug?.socket.connected());
  const root = overlay.getByTestId("takeover-root");
  assert.equal(await root.getAttribute("data-active"), "false");
  let shot = await pixels(await overlay.screenshot({ omitBackground: true }));
  assert.equal(shot.drawn(0, 0, 1920, 1080, 0), 0, "fully transparent with no takeover");

  // Show: technical difficulties, until cleared.
  const panel = dash.getByTestId("takeover-panel");
  await panel.getByTestId("takeover-type").selectOption("technical-difficulties");
  await panel.getByTestId("takeover-message").fill("Router is rebooting");
  await panel.getByTestId("takeover-seconds").fill("0");
  await panel.getByTestId("takeover-send").click();
  await overlay.waitForSelector('[data-testid=takeover][data-type="technical-difficulties"]');
  assert.equal(await overlay.textContent("[data-testid=takeover-line]"), "Router is rebooting");
  await dash.waitForSelector("[data-testid=takeover-active]");
  await overlay.waitForFunction(() => getComputedStyle(document.querySelector("[data-testid=takeover]")).opacity === "1");
  shot = await pixels(await overlay.screenshot({ omitBackground: true }));
  assert.ok(shot.drawn(0, 0, 1920, 1080, 250) > 0.99, "the takeover covers the whole canvas");
  if (process.env.SCREENSHOT_DIR) await overlay.screenshot({ path: `${process.env.SCREENSHOT_DIR}/takeover.png` });

  // Replace: a custom message replaces it at once.
  await panel.getByTestId("takeover-type").selectOption("custom");
  await panel.getByTestId("takeover-message").fill("Back after this match");
  await panel.getByTestId("takeover-send").click();
  await overlay.waitForSelector('[data-testid=takeover][data-type="custom"]');
  assert.match(await overlay.textContent("[data-testid=takeover]"), /Back after this match/);

  // With a duration: a countdown, and the hub's default line does not repeat the title.
  await ctl.push("stream:overlays", "takeover", { type: "technical-difficulties", duration: 90_000 });
  await overlay.waitForSelector('[data-testid=takeover][data-type="technical-difficulties"] [data-testid=takeover-countdown]');
  assert.match(await overlay.textContent("[data-testid=takeover-countdown]"), /^Back in 1:(30|29|28)$/);
  assert.equal(await overlay.textContent("[data-testid=takeover-line]"), "Back in a moment");

  // Clear from the dashboard.
  await panel.getByTestId("takeover-clear").click();
  await overlay.waitForSelector('[data-testid=takeover-root][data-active="false"]');
  await overlay.waitForSelector("[data-testid=takeover]", { state: "detached" });
  await dash.waitForSelector("[data-testid=takeover-active]", { state: "detached" });

  // Expire: a 1.5 s screen cover ends by itself. The dashboard has no timer of its
  // own, so its "on screen" mark going away is the hub's takeover_clear.
  const sent = Date.now();
  await ctl.push("stream:overlays", "takeover", { type: "screen-cover", message: "", duration: 1500 });
  await overlay.waitForSelector('[data-testid=takeover][data-type="screen-cover"]');
  await dash.waitForSelector("[data-testid=takeover-active]");
  await overlay.waitForSelector("[data-testid=takeover]", { state: "detached", timeout: 10_000 });
  await dash.waitForSelector("[data-testid=takeover-active]", { state: "detached", timeout: 10_000 });
  const took = Date.now() - sent;
  assert.ok(took >= 1400, `hid after ${took} ms, not before its 1.5 s`);

  // Cleared while the overlay was offline: an until-cleared cover must still come
  // down when the page reconnects (the join reply says no takeover is up).
  await ctl.push("stream:overlays", "takeover", { type: "please-stand-by", message: "", duration: 0 });
  await overlay.waitForSelector('[data-testid=takeover][data-type="please-stand-by"]');
  offline = true;
  await overlay.evaluate(() => window.debug.socket.drop());
  await overlay.waitForSelector("[data-testid=connection-pill]");
  await ctl.push("stream:overlays", "takeover_clear");
  offline = false;
  await overlay.waitForSelector("[data-testid=connection-pill]", { state: "detached", timeout: 20_000 });
  await overlay.waitForSelector("[data-testid=takeover]", { state: "detached", timeout: 5_000 });

  assert.deepEqual(errors, []);
});
