// The streamer restyles an alert from the dashboard and tests it, in Debian's
// Chromium against a real landale: the preview follows the form before saving; a
// saved change reaches an open overlay without a reload; an uploaded image is shown
// and an uploaded sound played with the alert (asserted on the media elements); a
// bad upload and a bad template are refused with words; the test alert goes through
// the queue like a real one.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig, testPng as png, testWav as wav } from "./harness.mjs";

test("alert settings: restyle, upload, preview and test from the dashboard", { timeout: 120_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, errors } = rig;
  const overlay = await rig.page();
  await overlay.goto(`${hub.base}/overlays/omnibar?debug=1`);
  await overlay.waitForFunction(() => window.debug?.layers.state().background === "active");
  const dash = await rig.page({ width: 1400, height: 1000 });
  await dash.goto(`${hub.base}/dashboard?debug=1`);
  const panel = dash.getByTestId("alerts-panel");
  await panel.getByTestId("alert-tab-cheer").click();
  await panel.getByTestId("alert-title-input").waitFor();

  // The preview follows the form before anything is saved.
  await panel.getByTestId("alert-title-input").fill("{user} cheered {amount}!");
  await dash.waitForFunction(
    () => document.querySelector("[data-testid=alert-preview] [data-testid=alert-title]")?.textContent === "TestViewer cheered 100!",
  );
  // A bad template is refused with the field named; nothing is saved.
  await panel.getByTestId("alert-title-input").fill("{username} cheered");
  await panel.getByTestId("alert-save").click();
  await panel.getByTestId("alert-error-title").waitFor();
  assert.match(await panel.getByTestId("alert-error-title").textContent(), /\{user\}/);

  // A bad upload: a text file named .png is refused by its bytes.
  await panel.getByTestId("alert-image-file").setInputFiles({ name: "fake.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
  await dash.waitForSelector("[data-testid=alert-status].problem");
  assert.match(await panel.getByTestId("alert-status").textContent(), /not a file Landale takes/);

  // Image and sound uploaded, a minimum and the words set, saved.
  await panel.getByTestId("alert-image-file").setInputFiles({ name: "cheer.png", mimeType: "image/png", buffer: await png() });
  await dash.waitForFunction(() => /cheer\.png uploaded/.test(document.querySelector("[data-testid=alert-status]")?.textContent ?? ""));
  await panel.getByTestId("alert-sound-file").setInputFiles({ name: "ding.wav", mimeType: "audio/wav", buffer: wav() });
  await dash.waitForFunction(() => /ding\.wav uploaded/.test(document.querySelector("[data-testid=alert-status]")?.textContent ?? ""));
  await panel.getByTestId("alert-title-input").fill("{user} cheered {amount}!");
  await panel.getByTestId("alert-min").fill("100");
  await panel.getByTestId("alert-save").click();
  await dash.waitForFunction(() => /Saved/.test(document.querySelector("[data-testid=alert-status]")?.textContent ?? ""));
  // The preview shows the uploaded image too.
  await dash.waitForFunction(() => document.querySelector("[data-testid=alert-preview] img[data-testid=alert-image]")?.naturalWidth === 64);

  // The open overlay got the settings without a reload: a test alert (through the
  // pipeline and the queue) shows in the new words, with the image, and plays the sound.
  await panel.getByTestId("alert-sample-user").fill("Tess");
  await panel.getByTestId("alert-test").click();
  await overlay.waitForFunction(
    () => document.querySelector("[data-testid=alert-title]")?.textContent === "Tess cheered 100!",
    null,
    { timeout: 15_000 },
  );
  const media = await overlay.evaluate(async () => {
    const img = document.querySelector("[data-testid=alert] img[data-testid=alert-image]");
    const audio = document.querySelector("audio[data-testid=alert-sound]");
    await new Promise((r) => (audio.currentTime > 0 || audio.ended ? r() : audio.addEventListener("timeupdate", r, { once: true })));
    return {
      src: img?.getAttribute("src"),
      width: img?.naturalWidth,
      sound: audio.dataset.sound,
      volume: audio.volume,
      played: audio.currentTime > 0 || audio.ended,
      counted: window.debug.counters().soundsPlayed,
    };
  });
  assert.match(media.src, /^\/media\/[0-9a-f]{16}\.png$/);
  assert.equal(media.width, 64, "the image loaded");
  assert.match(media.sound, /^[0-9a-f]{16}\.wav$/);
  assert.equal(media.volume, 0.8);
  assert.ok(media.played, "the sound played");
  assert.equal(media.counted, 1);

  // The queue saw it like a real alert (and a test stays off the timeline).
  const state = await dash.evaluate(() => window.debug.state().queue);
  assert.ok(state.queue.some((q) => q.data?.user_name === "Tess"), JSON.stringify(state));
  assert.equal(await overlay.locator("[data-testid=latest-event]").count(), 0, "no test on the timeline");
  // The channel's look: a name in the bar and the show's colour, on the open overlay
  // at once; the text on the new colour is picked for contrast.
  const look = dash.getByTestId("branding-panel");
  await look.getByTestId("brand-name").fill("Avalonstar");
  await look.getByTestId("brand-font").selectOption("outfit");
  await look.getByTestId("brand-variety-accent").evaluate((el) => {
    el.value = "#ffdd33";
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await look.getByTestId("brand-save").click();
  await overlay.waitForFunction(() => document.querySelector("[data-testid=bar-brand]")?.textContent === "Avalonstar");
  const styled = await overlay.evaluate(() => {
    const brand = document.querySelector("[data-testid=bar-brand]");
    const cs = getComputedStyle(brand);
    return { bg: cs.backgroundColor, color: cs.color, font: cs.fontFamily };
  });
  assert.equal(styled.bg, "rgb(255, 221, 51)");
  assert.equal(styled.color, "rgb(13, 10, 17)", "dark text on the light accent");
  assert.match(styled.font, /Outfit/);
  assert.deepEqual(errors, []);
});
