// The dashboard's panels against a real landale in Chromium: the alert queue's skip
// and remove round-trip (checked on the omnibar too), the activity log (REST first,
// then live, one row per event), the layer monitor, the transcription view; and the
// captions overlay catching up through `last_seq` after being offline.

import { test } from "node:test";
import assert from "node:assert/strict";
import { controlClient, follow, launchChromium, missing, pixels, publishEvent, startLandale } from "./harness.mjs";

const said = (text) => ({
  timestamp: new Date().toISOString(),
  duration: 1.5,
  text,
  source_id: "phononmaser",
  confidence: 0.9,
});

test("dashboard panels and captions round-trip", { timeout: 120_000 }, async (t) => {
  const why = missing({ obs: false });
  if (why) return t.skip(why);
  // Nurvus on a port where nothing listens: its absence is the answer under test.
  const hub = await startLandale({ NURVUS_URL: "http://127.0.0.1:9" });
  t.after(() => hub.stop());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const ctl = await controlClient(hub);
  t.after(() => ctl.close());
  const errors = [];

  // An event from before the dashboard opens: the activity log's REST first page.
  await publishEvent(hub, "channel.follow", follow("Early"));

  const dash = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const omni = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  for (const p of [dash, omni]) p.on("pageerror", (e) => errors.push(String(e)));
  await dash.goto(`${hub.base}/dashboard`);
  await omni.goto(`${hub.base}/overlays/omnibar?debug=1`);
  await dash.waitForSelector('[data-testid=activity-item] >> text="Early followed"');

  // Three more alerts queue behind Early's.
  for (const n of ["Finn", "Gus", "Hal"]) await publishEvent(hub, "channel.follow", follow(n));
  const items = dash.getByTestId("queue-item");
  await dash.waitForFunction(() => document.querySelectorAll("[data-testid=queue-item]").length === 4);
  assert.equal(await items.first().getAttribute("data-status"), "active");
  await dash.waitForSelector('[data-testid=layer-foreground] >> text=/Early/');

  // Remove Hal (waiting); skip Early (on screen): Finn is next, on the omnibar too.
  await items.filter({ hasText: "Hal" }).getByTestId("queue-remove").click();
  await dash.waitForFunction(() => ![...document.querySelectorAll("[data-testid=queue-item]")].some((e) => e.textContent.includes("Hal")));
  await dash.getByTestId("queue-skip").click();
  await dash.waitForFunction(() => document.querySelector("[data-testid=queue-item]")?.textContent.includes("Finn"));
  await omni.waitForFunction(() => document.querySelector("[data-testid=alert-title]")?.textContent === "Finn");
  assert.equal(await items.count(), 2, "Finn and Gus left");

  // Replay: the last shown alert (Early) comes back, marked as a replay.
  await dash.getByTestId("queue-replay").click();
  await dash.waitForFunction(() => document.querySelectorAll("[data-testid=queue-item]").length === 3);

  // Activity: every follow once, newest first, live.
  await dash.waitForSelector('[data-testid=activity-item] >> text="Hal followed"');
  const rows = await dash.$$eval("[data-testid=activity-item][data-type='channel.follow']", (els) => els.map((e) => e.textContent));
  const names = rows.map((r) => r.replace(/^.*?(\w+) followed$/, "$1"));
  assert.deepEqual(names, ["Hal", "Gus", "Finn", "Early"], `activity rows: ${JSON.stringify(rows)}`);

  // Transcription: live in the dashboard, and on the captions overlay, which catches
  // up through last_seq on the lines it missed while offline.
  const cap = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  cap.on("pageerror", (e) => errors.push(String(e)));
  let offline = false;
  await cap.routeWebSocket(/\/socket\/websocket/, (ws) => (offline ? ws.close() : ws.connectToServer()));
  await cap.goto(`${hub.base}/overlays/captions?debug=1`);
  await cap.waitForFunction(() => window.debug?.socket.lastSeq("transcription:live") !== null);
  await ctl.push("transcription:live", "submit_transcription", said("hello chat, welcome in"));
  await cap.waitForSelector('[data-testid=caption] >> text="hello chat, welcome in"');
  await dash.waitForSelector('[data-testid=transcript-line] >> text=/hello chat, welcome in/');

  offline = true;
  await cap.evaluate(() => window.debug.socket.drop());
  await cap.waitForSelector("[data-testid=connection-pill]");
  await ctl.push("transcription:live", "submit_transcription", said("this was said while the overlay was offline"));
  await ctl.push("transcription:live", "submit_transcription", said("and so was this"));
  offline = false;
  await cap.waitForSelector('[data-testid=caption] >> text="and so was this"', { timeout: 20_000 });
  const caps = await cap.$$eval("[data-testid=caption]", (els) => els.map((e) => e.textContent));
  assert.deepEqual(caps, ["this was said while the overlay was offline", "and so was this"], "two lines, oldest first");

  // Services: a start goes to nurvus (not running here) and its answer comes back as
  // command_result, shown in words; health comes from telemetry.
  const services = dash.getByTestId("services-panel");
  await services.locator('[data-testid=service][data-service="phononmaser"]').waitFor();
  await services.locator('[data-service="phononmaser"] button[data-action="start"]').click();
  await dash.waitForSelector('[data-testid=services-result] >> text=/start phononmaser: .*Nurvus/');
  assert.match(await dash.getAttribute("[data-testid=services-result]", "class"), /problem/);

  // The ironmon overlay before any run: nothing on air; with ?debug the streamer sees
  // a clear empty state. A wrong overlay name: 404.
  const iron = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  iron.on("pageerror", (e) => errors.push(String(e)));
  await iron.goto(`${hub.base}/overlays/ironmon`);
  await iron.waitForSelector(".ironmon-zone", { state: "attached" });
  const onAir = await pixels(await iron.screenshot({ omitBackground: true }));
  assert.equal(onAir.drawn(0, 0, 1920, 1080, 0), 0, "no empty state on air");
  assert.equal(await iron.locator("[data-testid=ironmon]").count(), 0);
  await iron.goto(`${hub.base}/overlays/ironmon?debug=1`);
  await iron.waitForSelector('[data-testid=ironmon-empty] >> text=/No run yet/');
  const missingPage = await fetch(`${hub.base}/overlays/nope`);
  assert.equal(missingPage.status, 404);
  assert.match(await missingPage.text(), /takeover, omnibar, captions, ironmon, music, chat, emote-rain/);

  // On a phone: the dashboard fits the width (no sideways scrolling).
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await phone.goto(`${hub.base}/dashboard`);
  await phone.waitForSelector("[data-testid=hub-online]");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the dashboard is ${overflow} px wider than a phone`);

  assert.deepEqual(errors, []);
});
