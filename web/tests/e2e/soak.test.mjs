// Soak: an 8-hour stream's worth of traffic, accelerated, on one omnibar page in
// Chromium against a real landale. Each alert is published through POST
// /api/eventsub, checked on screen (so none is dropped), then skipped from the queue
// so the next can come at once. Chat with emotes runs between alerts (emote
// increments), sub trains come and go, the page's socket is dropped every 200 alerts
// and the hub is restarted twice. At the end, with the same content on screen as at
// the start, the JS heap, DOM nodes and live GSAP tweens must be back within bounds.
//
// SOAK_ALERTS sets the count (default 2000, about a busy 8-hour stream's alerts).

import { test } from "node:test";
import assert from "node:assert/strict";
import { chat, controlClient, follow, launchChromium, missing, pageMemory, publishEvent, startLandale, subscribe } from "./harness.mjs";

const ALERTS = Number(process.env.SOAK_ALERTS || 2000);
const WARMUP = 50;
/** Bounds on growth between the warmed-up start and the end. */
const MAX_HEAP_GROWTH = 2 * 1024 * 1024;
const MAX_NODE_GROWTH = 50;
const MAX_TWEENS_AT_REST = 0;

test(`soak: ${ALERTS} alerts, chat, reconnects and restarts`, { timeout: 30 * 60_000 }, async (t) => {
  const why = missing({ obs: false });
  if (why) return t.skip(why);
  const hub = await startLandale();
  t.after(() => hub.stop());
  const browser = await launchChromium();
  t.after(() => browser.close());
  let ctl = await controlClient(hub);
  t.after(() => ctl.close());
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
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
    await ctl.push("stream:queue", "skip_current");
  };
  const settle = async () => {
    await ctl.push("stream:queue", "clear_queue");
    await atRest();
  };

  for (let i = 0; i < WARMUP; i++) await oneAlert(`w${i}`);
  await settle();
  const before = { ...(await pageMemory(page)), ...(await counters()) };

  const started = Date.now();
  let drops = 0;
  let restarts = 0;
  for (let i = 0; i < ALERTS; i++) {
    if (i > 0 && i % 200 === 0) {
      await page.evaluate(() => window.debug.socket.drop());
      await page.waitForFunction(() => window.debug.socket.connected());
      drops++;
    }
    if (i > 0 && i % Math.max(1, Math.floor(ALERTS / 3)) === 0 && restarts < 2) {
      ctl.close();
      await hub.restart();
      ctl = await controlClient(hub);
      await page.waitForFunction(() => window.debug.socket.connected(), null, { timeout: 20_000 });
      restarts++;
    }
    await oneAlert(i);
  }
  const seconds = (Date.now() - started) / 1000;
  await settle();
  const after = { ...(await pageMemory(page)), ...(await counters()) };

  const growth = {
    heapBytes: after.heapBytes - before.heapBytes,
    nodes: after.nodes - before.nodes,
    listeners: after.listeners - before.listeners,
  };
  t.diagnostic(
    `soak figures: ${JSON.stringify({ alerts: ALERTS, seconds: Math.round(seconds), perAlertMs: Math.round((seconds * 1000) / ALERTS), drops, restarts, before, after, growth })}`,
  );
  assert.ok(after.alertsShown >= WARMUP + ALERTS, `alerts shown by the page: ${after.alertsShown}`);
  assert.ok(growth.heapBytes < MAX_HEAP_GROWTH, `JS heap grew ${growth.heapBytes} bytes`);
  assert.ok(growth.nodes <= MAX_NODE_GROWTH, `DOM nodes grew by ${growth.nodes}`);
  assert.ok(after.tweens <= MAX_TWEENS_AT_REST, `live tweens at rest: ${after.tweens}`);
  assert.equal(after.animations, 0, "no orchestrator animation left running");
  assert.deepEqual(errors, []);
});
