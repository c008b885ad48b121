// The omnibar in Debian's Chromium against a real landale: events injected through
// POST /api/eventsub reach the right layer; an alert covers the sub train and the
// sub train resumes; pixels are transparent where nothing is drawn; an alert sent
// while the hub restarts is still shown after the page reconnects, and one on screen
// when the connection drops leaves on its own.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig, chat, follow, pixels, publishEvent, subscribe, testPng } from "./harness.mjs";

const layerState = (page) => page.evaluate(() => window.debug.layers.state());
const waitLayers = (page, want, timeout = 10_000) =>
  page.waitForFunction(
    (want) => {
      const s = window.debug?.layers.state();
      return s && Object.entries(want).every(([l, v]) => s[l] === v);
    },
    want,
    { timeout },
  );
const waitTitle = (page, name, timeout = 10_000) =>
  page.waitForFunction((name) => document.querySelector("[data-testid=alert-title]")?.textContent === name, name, { timeout });

test("omnibar: layers, interruption and resume, pixels, restart", { timeout: 120_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, ctl, errors } = rig;
  const page = await rig.page();
  // Every socket the page opens goes through here, so the test can keep it offline.
  let offline = false;
  await page.routeWebSocket(/\/socket\/websocket/, (ws) => (offline ? ws.close() : ws.connectToServer()));
  await page.goto(`${hub.base}/overlays/omnibar?debug=1`);
  // The ticker (background) comes with the first stream_state; nothing else is up.
  await waitLayers(page, { foreground: "hidden", midground: "hidden", background: "active" });
  assert.equal(await page.locator("[data-testid=connection-pill]").count(), 0, "no pill while online");

  // Emote increments: chat with an emote bumps today's count in the ticker at once
  // (the variety show's ticker starts on emote stats).
  // Emotes are drawn from `/emotes/<id>` (the hub redirects it to Twitch's CDN; the
  // Rust tests check the redirect). Here that URL answers from this test: an image for
  // avalonHYPE, none for Kappa.
  const emotePng = await testPng();
  await page.route("**/emotes/**", (route) =>
    route.request().url().endsWith("/emotes/avalonHYPE")
      ? route.fulfill({ contentType: "image/png", body: emotePng })
      : route.fulfill({ status: 404, body: "" }),
  );
  await page.waitForSelector('[data-testid=ticker][data-ticker-type="emote_stats"]');
  await publishEvent(hub, "channel.chat.message", chat("Zed", "avalonHYPE"));
  await page.waitForSelector('[data-emote="avalonHYPE"] b >> text="1"');
  await publishEvent(hub, "channel.chat.message", chat("Zed", "avalonHYPE gg avalonHYPE Kappa"));
  await page.waitForSelector('[data-emote="avalonHYPE"] b >> text="3"');
  await page.waitForFunction(() => document.querySelector('[data-emote="avalonHYPE"] img')?.naturalWidth === 64);
  // No image for Kappa: its name, readable, instead.
  await page.waitForSelector('[data-emote="Kappa"] .emote-name >> text="Kappa"');

  // Pixels with nothing but the ticker bar: the canvas is transparent above the bar.
  let shot = await pixels(await page.screenshot({ omitBackground: true }));
  assert.equal(shot.width, 1920);
  assert.equal(shot.drawn(0, 0, 1920, 900, 0), 0, "nothing drawn above the bar");
  assert.ok(shot.drawn(100, 1000, 1800, 1040) > 0.95, "the bar is drawn at the bottom");

  // A follow: a foreground alert, the background covered.
  await publishEvent(hub, "channel.follow", follow("Ann"));
  await waitTitle(page, "Ann");
  await waitLayers(page, { foreground: "active", background: "interrupted" });
  assert.equal(await page.getAttribute(".layer-foreground", "data-state"), "active");
  assert.equal(await page.textContent("[data-testid=alert] .alert-kicker"), "New follower");
  shot = await pixels(await page.screenshot({ omitBackground: true }));
  assert.ok(shot.drawn(600, 830, 1320, 940) > 0.95, "the alert card is drawn where the alert is");
  assert.equal(shot.drawn(0, 0, 1920, 720, 0), 0, "transparent above the alert (and its shadow)");
  assert.equal(shot.drawn(0, 0, 500, 960, 0), 0, "transparent left of the alert");
  await page.screenshot({ path: process.env.SCREENSHOT_DIR ? `${process.env.SCREENSHOT_DIR}/omnibar-alert.png` : undefined, omitBackground: true });

  // Skip it: the foreground exits and the background resumes.
  await ctl.push("stream:queue", "skip_current");
  await waitLayers(page, { foreground: "hidden", background: "active" });

  // A sub starts a sub train (midground); a follow then covers it; skipping the follow
  // brings the sub train back (resume), not a re-entry.
  await publishEvent(hub, "channel.subscribe", subscribe("Bea"));
  await page.waitForSelector("[data-testid=sub-train]");
  // The sub train has its own zone: it does not dim the bar.
  await waitLayers(page, { foreground: "hidden", midground: "active", background: "active" });
  await publishEvent(hub, "channel.follow", follow("Cat"));
  await waitTitle(page, "Cat");
  await waitLayers(page, { foreground: "active", midground: "interrupted", background: "interrupted" });
  const covered = await page.evaluate(() => getComputedStyle(document.querySelector(".layer-midground")).opacity);
  assert.ok(Number(covered) < 1, `a covered sub train is dimmed (opacity ${covered})`);
  await ctl.push("stream:queue", "skip_current");
  await waitLayers(page, { foreground: "hidden", midground: "active" });
  await page.waitForFunction(() => getComputedStyle(document.querySelector(".layer-midground")).opacity === "1");
  assert.match(await page.textContent("[data-testid=sub-train]"), /Bea/);
  await ctl.push("stream:queue", "clear_queue");
  await waitLayers(page, { foreground: "hidden", midground: "hidden", background: "active" });

  // The latest event rides in the bar.
  assert.match(await page.textContent("[data-testid=latest-event]"), /Cat followed/);

  // The show follows the Twitch category: FireRed/LeafGreen is the ironmon show, and
  // the omnibar takes its colours.
  const accent = () => page.evaluate(() => getComputedStyle(document.querySelector(".bar-brand")).backgroundColor);
  const varietyAccent = await accent();
  await publishEvent(hub, "channel.update", {
    broadcaster_user_id: "12826",
    broadcaster_user_login: "avalonstar",
    broadcaster_user_name: "Avalonstar",
    title: "IronMON attempt 1000",
    language: "en",
    category_id: "490100",
    category_name: "Pokémon FireRed/LeafGreen",
    content_classification_labels: [],
  }, "2");
  await page.waitForSelector('[data-testid=omnibar][data-show="ironmon"]');
  assert.notEqual(await accent(), varietyAccent, "the ironmon show has its own accent");

  // The hub restarts while the page cannot reconnect; an alert sent then is shown
  // once the page is back.
  offline = true;
  await hub.restart();
  await page.waitForSelector("[data-testid=connection-pill]");
  await publishEvent(hub, "channel.follow", follow("Dee"));
  assert.equal(await page.evaluate(() => window.debug.socket.connected()), false, "page offline when Dee was sent");
  offline = false;
  await waitTitle(page, "Dee", 20_000);
  await page.waitForSelector("[data-testid=connection-pill]", { state: "detached" });
  await ctl.push("stream:queue", "skip_current");
  await waitLayers(page, { foreground: "hidden" });

  // An alert sent while the page is offline, then the hub restarts (it saves its
  // queue): still shown when the page reconnects.
  offline = true;
  await page.evaluate(() => window.debug.socket.drop());
  await page.waitForSelector("[data-testid=connection-pill]");
  await publishEvent(hub, "channel.follow", follow("Eve"));
  await hub.restart();
  offline = false;
  await waitTitle(page, "Eve", 20_000);

  // Offline with an alert up: it plays out its own time and leaves, instead of staying
  // frozen on air until the hub is back.
  offline = true;
  await page.evaluate(() => window.debug.socket.drop());
  await page.waitForFunction(() => window.debug.socket.connected() === false);
  await waitLayers(page, { foreground: "hidden" }, 20_000);
  offline = false;

  assert.deepEqual(errors, []);
  assert.deepEqual(Object.keys(await layerState(page)), ["foreground", "midground", "background"]);
});
