// Soak: an 8-hour stream's worth of traffic, accelerated, on one omnibar page in
// Chromium against a real landale. Each alert is published through POST
// /api/eventsub, checked on screen (so none is dropped), then skipped from the queue
// so the next can come at once. Chat with emotes runs between alerts (emote
// increments), sub trains come and go, the page's socket is dropped every 200 alerts
// and the hub is restarted twice. Every follow alert carries an uploaded image and
// sound (the alert settings), so media is part of what must not leak.
//
// What a leak grows is read at three checkpoints with the same content on screen:
// after a warm-up, halfway and at the end (see `pageMemory`). The bar fills up with
// the timeline and emotes early on, so the warm-up → end growth is bounded loosely
// (heap) and the halfway → end growth must be flat: a leak grows with every alert,
// a full bar does not. The second test injects a leak (each alert's card kept alive,
// detached, as a forgotten reference would) and checks that the same bounds catch it.
//
// SOAK_ALERTS sets the count (default 2000, about a busy 8-hour stream's alerts).

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chat,
  controlClient,
  follow,
  launchChromium,
  missing,
  pageMemory,
  publishEvent,
  startLandale,
  subscribe,
  testPng,
  testWav,
  uploadMedia,
} from "./harness.mjs";

const ALERTS = Number(process.env.SOAK_ALERTS || 2000);
const WARMUP = 50;
/** Heap growth allowed from the warmed-up start to the end (compiled code, caches). */
const MAX_HEAP_GROWTH = 2 * 1024 * 1024;
/** Growth allowed between the halfway and the final checkpoint: flat, give or take. */
const MAX_LATE_NODE_GROWTH = 25;
const MAX_LATE_LISTENER_GROWTH = 10;
const MAX_TWEENS_AT_REST = 0;

/** Every bound the figures break, in words; empty when nothing leaks. */
function leakFindings({ before, half, after }) {
  const found = [];
  const heap = after.heapBytes - before.heapBytes;
  if (heap >= MAX_HEAP_GROWTH) found.push(`JS heap grew ${heap} bytes (bound ${MAX_HEAP_GROWTH})`);
  for (const [key, bound] of [
    ["reachableNodes", MAX_LATE_NODE_GROWTH],
    ["attachedNodes", MAX_LATE_NODE_GROWTH],
    ["listeners", MAX_LATE_LISTENER_GROWTH],
  ]) {
    const grew = after[key] - half[key];
    if (grew > bound) found.push(`${key} grew by ${grew} in the second half (bound ${bound})`);
  }
  if (after.tweens > MAX_TWEENS_AT_REST) found.push(`live tweens at rest: ${after.tweens}`);
  if (after.animations !== 0) found.push(`orchestrator animations left running: ${after.animations}`);
  return found;
}

async function soak(t, { alerts, warmup, leak = false }) {
  const hub = await startLandale();
  t.after(() => hub.stop());
  const browser = await launchChromium();
  t.after(() => browser.close());
  let ctl = await controlClient(hub);
  t.after(() => ctl.close());
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Every follow alert shows an uploaded image and plays an uploaded sound.
  const image = await uploadMedia(hub, await testPng());
  const sound = await uploadMedia(hub, testWav());
  await ctl.push("stream:queue", "update_alert_settings", { type: "follow", changes: { image, sound } });
  await page.goto(`${hub.base}/overlays/omnibar?debug=1`);
  await page.waitForFunction(() => window.debug?.layers.state()?.background === "active");

  const counters = () => page.evaluate(() => window.debug.counters());
  const atRest = () =>
    page.waitForFunction(() => {
      const s = window.debug.layers.state();
      return s.foreground === "hidden" && s.midground === "hidden" && s.background === "active" && window.debug.counters().tweens === 0;
    }, null, { timeout: 20_000 });
  const oneAlert = async (i) => {
    const name = `Viewer${i}`;
    await publishEvent(hub, "channel.follow", follow(name));
    if (i % 3 === 0) await publishEvent(hub, "channel.chat.message", chat(`Chatter${i % 50}`, "avalonHYPE that was clean Kappa"));
    if (i % 4 === 0) await publishEvent(hub, "channel.chat.message", chat(`Chatter${i % 50}`, "gg"));
    if (i % 25 === 0) await publishEvent(hub, "channel.subscribe", subscribe(`Sub${i}`));
    await page.waitForFunction((name) => document.querySelector("[data-testid=alert-title]")?.textContent === name, name, {
      timeout: 20_000,
    });
    if (leak) {
      // A forgotten reference: the alert's card, kept alive after it leaves the page.
      await page.evaluate(() => {
        const card = document.querySelector("[data-testid=alert-title]").parentElement;
        (window.__leaked ??= []).push(card.cloneNode(true));
      });
    }
    await ctl.push("stream:queue", "skip_current");
  };
  const checkpoint = async () => {
    await ctl.push("stream:queue", "clear_queue");
    await atRest();
    return { ...(await pageMemory(page)), ...(await counters()) };
  };

  for (let i = 0; i < warmup; i++) await oneAlert(`w${i}`);
  const before = await checkpoint();

  const started = Date.now();
  let drops = 0;
  let restarts = 0;
  let half;
  for (let i = 0; i < alerts; i++) {
    if (i === Math.floor(alerts / 2)) half = await checkpoint();
    if (i > 0 && i % 200 === 0) {
      await page.evaluate(() => window.debug.socket.drop());
      await page.waitForFunction(() => window.debug.socket.connected());
      drops++;
    }
    if (i > 0 && i % Math.max(1, Math.floor(alerts / 3)) === 0 && restarts < 2) {
      ctl.close();
      await hub.restart();
      ctl = await controlClient(hub);
      await page.waitForFunction(() => window.debug.socket.connected(), null, { timeout: 20_000 });
      restarts++;
    }
    await oneAlert(i);
  }
  const seconds = (Date.now() - started) / 1000;
  const after = await checkpoint();
  const figures = { alerts, seconds: Math.round(seconds), perAlertMs: Math.round((seconds * 1000) / alerts), drops, restarts, before, half, after };
  return { figures, findings: leakFindings({ before, half, after }), errors };
}

test(`soak: ${ALERTS} alerts, chat, reconnects and restarts`, { timeout: 30 * 60_000 }, async (t) => {
  const why = missing({ obs: false });
  if (why) return t.skip(why);
  const { figures, findings, errors } = await soak(t, { alerts: ALERTS, warmup: WARMUP });
  t.diagnostic(`soak figures: ${JSON.stringify(figures)}`);
  assert.ok(figures.after.alertsShown >= WARMUP + ALERTS, `alerts shown by the page: ${figures.after.alertsShown}`);
  // Each follow alert played its sound (through the one audio element).
  assert.ok(figures.after.soundsPlayed >= WARMUP + ALERTS, `sounds played: ${figures.after.soundsPlayed}`);
  assert.deepEqual(findings, []);
  assert.deepEqual(errors, []);
});

test("soak: an injected leak is caught", { timeout: 5 * 60_000 }, async (t) => {
  const why = missing({ obs: false });
  if (why) return t.skip(why);
  const { figures, findings } = await soak(t, { alerts: 160, warmup: 20, leak: true });
  t.diagnostic(`leaky soak figures: ${JSON.stringify(figures)}`);
  assert.ok(
    findings.some((f) => f.startsWith("reachableNodes grew")),
    `the leak of one card per alert was not caught: ${JSON.stringify(findings)}`,
  );
});
