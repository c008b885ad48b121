// IronMON end to end in Chromium: a recorded tracker session over TCP into a real
// landale, onto the ironmon overlay (run number, checkpoints by name, the team, the
// location, the lost battle) and the omnibar (checkpoint clears, then the death
// alert), with the canvas transparent where nothing is drawn.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig, pixels, publishEvent, replayIronmon } from "./harness.mjs";

test("ironmon: a replayed run on the overlay and the omnibar", { timeout: 120_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, ctl } = rig;
  // The ironmon show (FireRed's Twitch category), so IronMON alerts go on air.
  await publishEvent(hub, "channel.update", {
    broadcaster_user_id: "1", broadcaster_user_login: "landale", broadcaster_user_name: "Landale",
    title: "Kaizo IronMON", category_id: "13332", category_name: "Pokémon FireRed/LeafGreen",
  });
  const iron = await rig.page();
  await iron.goto(`${hub.base}/overlays/ironmon`);
  const bar = await rig.page();
  await bar.goto(`${hub.base}/overlays/omnibar`);
  await iron.waitForSelector(".ironmon-zone", { state: "attached" });

  const status = (await hub.get("/api/ironmon/status")).body.data;
  assert.equal(status.listening, true);
  const sent = await replayIronmon(status.port);

  // The overlay follows the run: after the loss, the next seed is the run shown.
  await iron.getByTestId("ironmon-run").filter({ hasText: "Run #1338" }).waitFor({ timeout: 30_000 });
  assert.equal(await iron.locator("[data-testid=ironmon-steps] li").count(), 24, "every checkpoint of the challenge");
  assert.equal(await iron.locator("[data-testid=ironmon-steps] li[data-cleared=true]").count(), 0, "a new run starts clean");
  assert.match(await iron.getByTestId("ironmon-team").textContent(), /Bulbasaur/);
  assert.equal(await iron.getByTestId("ironmon-location").textContent(), "Pallet Town");
  // The next checkpoint by name, with its clear rate from the run before.
  assert.match(await iron.getByTestId("ironmon-next").textContent(), /next Lab \(100% clear\)/);
  // BROCK's clear rate comes from history: attempted once, never cleared.
  const api = (await hub.get("/api/ironmon/status")).body.data;
  assert.equal(api.messages, sent);
  assert.equal(api.run.checkpoints[4].clear_rate, 0);

  // The omnibar shows the clears, then the death: skip through the queue (a control).
  const titles = [];
  for (let i = 0; i < 8 && !titles.some((x) => /lost to Brock/i.test(x)); i++) {
    const title = await bar.getByTestId("alert-title").textContent({ timeout: 30_000 });
    titles.push(title);
    if (/lost to Brock/i.test(title)) break;
    await ctl.push("stream:overlays", "skip_current");
    await bar.waitForFunction((t) => document.querySelector("[data-testid=alert-title]")?.textContent !== t, title, { timeout: 30_000 });
  }
  assert.ok(titles.some((x) => /LAB|RIVAL/.test(x)), `a checkpoint clear first: ${titles}`);
  assert.ok(titles.some((x) => /lost to Brock/i.test(x)), `the death alert: ${titles}`);
  assert.match(await bar.locator("[data-testid=alert]").textContent(), /4 checkpoints cleared/);

  // Transparent where nothing is drawn (OBS composites it over the game).
  const shot = await pixels(await iron.screenshot({ omitBackground: true }));
  assert.equal(shot.alpha(1000, 540), 0, "the middle of the canvas is transparent");
  assert.equal(shot.alpha(1900, 1070), 0);
  assert.ok(shot.drawn(48, 48, 508, 200) > 0.5, "the run card is drawn in its zone");
  assert.deepEqual(rig.errors, []);
});
