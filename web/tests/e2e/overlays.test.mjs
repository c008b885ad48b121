// The music, chat and emote-rain overlays in Chromium against a real landale, the
// fake Rainwave and the fake Twitch's emote images (nothing from the internet).
//  - music: now playing with art and progress, a song change, hidden when not tuned in;
//  - chat: colours, badges, emote images, at most N lines, deletions and a clear at
//    once, lines fading after their time;
//  - emote rain: the sprite cap held under a 200-messages-a-second spam (frame times
//    recorded), paused by a takeover, and a transparent canvas once nothing falls.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig, chat, FAKE_RAINWAVE_BIN, FAKE_TWITCH_BIN, pixels, publishEvent, startFakeRainwave, startFakeTwitch } from "./harness.mjs";

test("music, chat and emote rain", { timeout: 180_000 }, async (t) => {
  if (!FAKE_RAINWAVE_BIN || !FAKE_TWITCH_BIN) return t.skip("FAKE_RAINWAVE_BIN and FAKE_TWITCH_BIN are not set: run through cargo xtask test");
  const rainwave = await startFakeRainwave();
  t.after(() => rainwave.stop());
  const twitch = await startFakeTwitch();
  t.after(() => twitch.stop());
  const rig = await browserRig(t, { env: { ...rainwave.env, TWITCH_EMOTE_URL: twitch.env.TWITCH_EMOTE_URL } });
  if (!rig) return;
  const { hub, ctl } = rig;

  // --- music ---------------------------------------------------------------------
  const music = await rig.page();
  await music.goto(`${hub.base}/overlays/music`);
  await music.getByTestId("music-title").filter({ hasText: "Gusty Garden Galaxy" }).waitFor();
  assert.equal(await music.getByTestId("music-artist").textContent(), "Mahito Yokota, Koji Kondo");
  await music.waitForFunction(() => document.querySelector("[data-testid=music-art]")?.naturalWidth > 0);
  const p = Number(await music.getByTestId("music-progress").getAttribute("data-progress"));
  assert.ok(p >= 0 && p < 1, `progress ${p}`);
  await rainwave.control("song");
  await music.getByTestId("music-title").filter({ hasText: "Corridors of Time" }).waitFor();
  await rainwave.control("listening", { listening: false });
  await music.getByTestId("music").waitFor({ state: "detached" });
  const empty = await pixels(await music.screenshot({ omitBackground: true }));
  assert.equal(empty.drawn(0, 0, 1920, 1080, 0), 0, "nothing on screen when not tuned in");

  // --- chat ----------------------------------------------------------------------
  const page = await rig.page();
  await page.goto(`${hub.base}/overlays/chat?max=3&fade=0&size=28`);
  await page.waitForSelector("[data-testid=chat]", { state: "attached" });
  const mod = chat("ModMira", "hi Kappa there", { color: "#1E90FF", badges: [{ set_id: "moderator", id: "1", info: "" }] });
  await publishEvent(hub, "channel.chat.message", mod);
  const first = page.locator(`[data-testid=chat-line][data-id="${mod.message_id}"]`);
  await first.waitFor();
  assert.equal(await first.getByTestId("chat-name").evaluate((e) => getComputedStyle(e).color), "rgb(30, 144, 255)");
  assert.equal(await first.locator("[data-badge=moderator]").count(), 1);
  assert.equal(await first.textContent(), "ModModMira: hi  there");
  await page.waitForFunction((id) => document.querySelector(`[data-id="${id}"] img[data-emote=Kappa]`)?.naturalWidth > 0, mod.message_id);
  const ids = [];
  for (const n of ["Ann", "Ben", "Cat", "Dee"]) {
    const m = chat(n, `hello from ${n}`);
    ids.push(m.message_id);
    await publishEvent(hub, "channel.chat.message", m);
  }
  await page.locator(`[data-id="${ids[3]}"]`).waitFor();
  assert.deepEqual(await page.locator("[data-testid=chat-line]").evaluateAll((ls) => ls.map((l) => l.dataset.id)), ids.slice(1), "three lines at most, oldest gone");
  await publishEvent(hub, "channel.chat.message_delete", {
    broadcaster_user_id: "12826", broadcaster_user_login: "avalonstar", broadcaster_user_name: "Avalonstar",
    target_user_id: "1", target_user_login: "ben", target_user_name: "Ben", message_id: ids[1],
  });
  await page.locator(`[data-id="${ids[1]}"]`).waitFor({ state: "detached" });
  await publishEvent(hub, "channel.chat.clear", { broadcaster_user_id: "12826", broadcaster_user_login: "avalonstar", broadcaster_user_name: "Avalonstar" });
  await page.locator("[data-testid=chat-line]").first().waitFor({ state: "detached" });
  // Fading: a line leaves by itself after its time.
  const fading = await rig.page();
  await fading.goto(`${hub.base}/overlays/chat?fade=1`);
  await fading.waitForSelector("[data-testid=chat]", { state: "attached" });
  const brief = chat("Eve", "here and gone");
  await publishEvent(hub, "channel.chat.message", brief);
  await fading.locator(`[data-id="${brief.message_id}"]`).waitFor();
  await fading.locator(`[data-id="${brief.message_id}"]`).waitFor({ state: "detached", timeout: 10_000 });

  // --- emote rain ----------------------------------------------------------------
  const rain = await rig.page();
  await rain.goto(`${hub.base}/overlays/emote-rain?debug=1&max=40`);
  await rain.waitForFunction(() => window.debug?.socket.connected());
  await rain.evaluate(() => window.debug.frames.start());
  // 200 messages a second for two seconds, each with emotes.
  const started = Date.now();
  for (let s = 0; s < 2; s++) {
    const batch = [];
    for (let i = 0; i < 200; i++) batch.push(publishEvent(hub, "channel.chat.message", chat(`spam${i}`, "avalonHYPE Kappa avalonHYPE")));
    await Promise.all(batch);
    const wait = started + (s + 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await rain.waitForFunction(() => window.debug.counters().spawned > 0 && window.debug.counters().dropped > 0, null, { timeout: 30_000 });
  const frames = await rain.evaluate(() => window.debug.frames.stop());
  const c = await rain.evaluate(() => window.debug.counters());
  assert.ok(c.peak <= 40, `the cap held: peak ${c.peak}`);
  assert.ok(frames.length > 10, `the rain animated (${frames.length} frames)`);
  const sorted = [...frames].sort((a, b) => a - b);
  t.diagnostic(`emote rain frame times under spam: p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms, peak sprites ${c.peak}, dropped ${c.dropped}`);
  // Something is drawn while it rains.
  const during = await pixels(await rain.screenshot({ omitBackground: true }));
  assert.ok(during.drawn(0, 0, 1920, 1080, 0) > 0 || (await rain.evaluate(() => window.debug.counters().live)) === 0);
  // A takeover pauses it (and clears it); after, it rains again.
  await ctl.push("stream:overlays", "takeover", { type: "technical-difficulties", duration: 60_000 });
  await rain.waitForFunction(() => window.debug.state().paused && window.debug.counters().live === 0);
  await publishEvent(hub, "channel.chat.message", chat("during", "Kappa"));
  await ctl.push("stream:overlays", "takeover_clear", {});
  await rain.waitForFunction(() => !window.debug.state().paused);
  assert.equal((await rain.evaluate(() => window.debug.counters())).live, 0, "nothing spawned while paused");
  await publishEvent(hub, "channel.chat.message", chat("after", "Kappa"));
  await rain.waitForFunction(() => window.debug.counters().live > 0);
  // Once the last sprite falls out, the loop stops and the canvas is empty.
  await rain.waitForFunction(() => window.debug.counters().live === 0 && !window.debug.state().running, null, { timeout: 30_000 });
  const after = await pixels(await rain.screenshot({ omitBackground: true }));
  assert.equal(after.drawn(0, 0, 1920, 1080, 0), 0, "transparent once nothing falls (the pill aside)");
  assert.deepEqual(rig.errors, []);
});
