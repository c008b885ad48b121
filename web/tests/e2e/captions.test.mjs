// The captions overlay with live partial lines: a line still being spoken shows in
// its own style, grows in place, and is replaced where it stands by its final (same
// utterance id); a partial whose final never comes leaves on its own.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig } from "./harness.mjs";

test("captions: partial lines grow in place and their final replaces them", { timeout: 60_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, ctl, errors } = rig;
  const cap = await rig.page();
  await cap.goto(`${hub.base}/overlays/captions?debug=1`);
  await cap.waitForFunction(() => window.debug?.socket.lastSeq("transcription:live") !== null);
  const id = "2b7c4f0e-1d2a-4e5b-9c3d-7a8b9c0d1e2f";
  const lines = () => cap.$$eval("[data-testid=caption]", (els) => els.map((e) => ({ text: e.textContent, partial: e.dataset.partial })));

  await ctl.push("transcription:live", "partial_transcription", { utterance_id: id, text: "okay chat this" });
  await cap.waitForSelector('[data-testid=caption][data-partial=true] >> text="okay chat this"');
  const style = await cap.$eval("[data-testid=caption]", (e) => getComputedStyle(e).fontStyle);
  assert.equal(style, "italic", "a partial is drawn apart");
  await ctl.push("transcription:live", "partial_transcription", { utterance_id: id, text: "okay chat this is the last" });
  await cap.waitForSelector('[data-testid=caption] >> text="okay chat this is the last"');
  assert.deepEqual(await lines(), [{ text: "okay chat this is the last", partial: "true" }], "grown in place, not added");

  await ctl.push("transcription:live", "submit_transcription", {
    id,
    timestamp: new Date().toISOString(),
    duration: 2.1,
    text: "Okay chat, this is the last attempt.",
    source_id: "phononmaser",
  });
  await cap.waitForSelector('[data-testid=caption][data-partial=false] >> text="Okay chat, this is the last attempt."');
  assert.deepEqual(await lines(), [{ text: "Okay chat, this is the last attempt.", partial: "false" }]);

  // A partial that is never finished (the speech was not kept) leaves by itself.
  await ctl.push("transcription:live", "partial_transcription", { utterance_id: "never-finished", text: "hmm so" });
  await cap.waitForSelector('[data-testid=caption][data-partial=true] >> text="hmm so"');
  await cap.waitForSelector('[data-testid=caption][data-partial=true]', { state: "detached", timeout: 10_000 });
  assert.deepEqual(errors, []);
});
