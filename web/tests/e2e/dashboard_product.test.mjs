// The dashboard as a streamer meets it, in Chromium against a real landale: the
// first-run checklist (what is left, with advice that works and overlay URLs to
// copy), streamer words instead of event ids, controls that say why they are off
// while the hub is away, and a narrow OBS dock without sideways scrolling.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig, follow, publishEvent, subscribe } from "./harness.mjs";

test("dashboard: first-run checklist, streamer words, offline controls, a narrow dock", { timeout: 120_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, errors } = rig;
  const dash = await rig.page({ width: 1400, height: 1000 });
  await dash.goto(`${hub.base}/dashboard`);

  // First run: OBS and Twitch are not set up here; this page is on loopback.
  const setup = dash.getByTestId("setup-panel");
  await setup.waitFor();
  // Once the dashboard has OBS's state and the telemetry, the advice is specific.
  await dash.waitForSelector('[data-testid=setup-obs] >> text=/OBS_WEBSOCKET_URL/');
  assert.equal(await setup.getByTestId("setup-obs").getAttribute("data-done"), "false");
  await dash.waitForSelector('[data-testid=setup-twitch] >> text=/TWITCH_CLIENT_ID/');
  const twitch = await setup.getByTestId("setup-twitch").textContent();
  assert.ok(twitch.indexOf("TWITCH_CLIENT_ID") < twitch.indexOf("landale twitch login"), `the app comes first: ${twitch}`);
  assert.equal(await setup.getByTestId("setup-token").getAttribute("data-done"), "true");
  const urls = await setup.locator("code.url").allTextContents();
  assert.deepEqual(
    urls.map((u) => u.replace(hub.base, "")),
    ["/overlays/takeover", "/overlays/omnibar", "/overlays/captions", "/overlays/ironmon"],
  );
  for (const u of urls) assert.equal((await fetch(u)).status, 200, u);
  await setup.getByText("I added them").click();
  await dash.waitForSelector('[data-testid=setup-overlays][data-done="true"]');
  await setup.getByTestId("setup-hide").click();
  await dash.waitForSelector("[data-testid=setup-panel]", { state: "detached" });
  await dash.getByTestId("setup-show").waitFor();

  // Streamer words: after a few events, no event id or state version anywhere.
  await publishEvent(hub, "channel.subscribe", subscribe("Bea"));
  await publishEvent(hub, "channel.subscription.gift", {
    user_id: "77", user_login: "generous", user_name: "Generous", broadcaster_user_id: "12826",
    broadcaster_user_login: "avalonstar", tier: "1000", total: 3, is_anonymous: false,
  });
  await publishEvent(hub, "channel.follow", follow("Ann"));
  await dash.waitForSelector('[data-testid=queue-item] >> text=/Gift subs/');
  const text = await dash.locator("main").innerText();
  for (const id of [/channel\.[a-z]/, /\bsub_train\b/, /\bv\d+\b/]) assert.doesNotMatch(text, id);

  // Offline (the hub stopped, then started again): controls are off and say why; the
  // queue shows no stale countdown.
  const send = dash.getByTestId("takeover-send");
  await hub.restart({
    between: async () => {
      await dash.waitForSelector("[data-testid=hub-offline]", { timeout: 20_000 });
      assert.equal(await send.isDisabled(), true);
      assert.match(await send.getAttribute("title"), /offline/);
      assert.match(await dash.getByTestId("queue-empty").textContent(), /offline/);
      assert.equal(await dash.locator("[data-testid=queue-item]").count(), 0);
      assert.equal(await dash.getByTestId("alert-test").isDisabled(), true);
    },
  });
  await dash.waitForSelector("[data-testid=hub-online]", { timeout: 20_000 });
  assert.equal(await send.isDisabled(), false);

  // As a narrow OBS custom dock: nothing scrolls sideways.
  const dock = await rig.page({ width: 320, height: 900 });
  await dock.goto(`${hub.base}/dashboard`);
  await dock.getByTestId("alerts-panel").waitFor();
  const widths = await dock.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(widths.scroll <= widths.client, `sideways scroll in a 320 px dock: ${JSON.stringify(widths)}`);
  assert.deepEqual(errors, []);
});
