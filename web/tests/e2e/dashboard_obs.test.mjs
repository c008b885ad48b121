// The dashboard's OBS panel in a real browser against a real landale and real OBS:
// scenes listed and switched (by click, and from outside with the panel following),
// recording started and stopped, stats shown, and OBS dying shown with its reason.

import { test } from "node:test";
import assert from "node:assert/strict";
import { launchChromium, missing, obsRequest, startLandale, startObs } from "./harness.mjs";

const PASSWORD = "landale-e2e-obs-pw";

test("dashboard OBS panel drives real OBS and follows it live", { timeout: 180_000 }, async (t) => {
  const why = missing();
  if (why) {
    t.skip(why);
    return;
  }
  const obs = await startObs(PASSWORD);
  t.after(() => obs.cleanup());
  const created = await obsRequest(obs.url, PASSWORD, "CreateScene", { sceneName: "Gameplay" });
  assert.equal(created.requestStatus.result, true, JSON.stringify(created));

  const hub = await startLandale({ OBS_WEBSOCKET_URL: obs.url, OBS_WEBSOCKET_PASSWORD: PASSWORD });
  t.after(() => hub.stop());

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  // Opened from loopback: controls work without typing the token.
  await page.goto(`${hub.base}/dashboard`);

  const panel = page.getByTestId("obs-panel");
  // Landale's own connection to OBS: the panel flips to connected on the pushed event.
  await page.waitForSelector('[data-testid=obs-connection][data-state="ready"]', { timeout: 60_000 });
  const scene = (name) => panel.locator(`[data-testid=scene-button][data-scene="${name}"]`);
  await scene("Gameplay").waitFor();
  await scene("Scene").waitFor();
  assert.equal(await scene("Scene").getAttribute("aria-pressed"), "true", "OBS's current scene is marked");

  // Click → OBS really switches → the panel marks it (from the pushed event).
  await scene("Gameplay").click();
  await page.waitForSelector('[data-scene="Gameplay"][aria-pressed="true"]', { timeout: 10_000 });
  const current = await hub.get("/api/obs/scene/current");
  assert.equal(current.body.data.currentProgramSceneName, "Gameplay");

  // Switched from elsewhere (REST): the panel follows without a reload.
  assert.equal((await hub.post("/api/obs/scene/Scene")).status, 200);
  await page.waitForSelector('[data-scene="Scene"][aria-pressed="true"]', { timeout: 10_000 });

  // Recording: start, OBS confirms, stop.
  const record = panel.getByTestId("obs-record");
  await panel.getByTestId("record-toggle").click();
  await page.waitForSelector('[data-testid=obs-record][data-active="true"]', { timeout: 20_000 });
  assert.equal((await hub.get("/api/obs/record-status")).body.data.outputActive, true);
  assert.match(await record.innerText(), /Recording/);
  await panel.getByTestId("record-toggle").click();
  await page.waitForSelector('[data-testid=obs-record][data-active="false"]', { timeout: 20_000 });
  assert.equal((await hub.get("/api/obs/record-status")).body.data.outputActive, false);

  // OBS's figures arrive every 5 s.
  await page.waitForFunction(
    () => Number(document.querySelector("[data-testid=obs-fps]")?.textContent) > 0,
    null,
    { timeout: 20_000 },
  );
  const fps = Number(await panel.getByTestId("obs-fps").innerText());
  assert.ok(fps > 0 && fps <= 61, `fps ${fps}`);

  // A scene removed in OBS itself disappears from the panel (SceneListChanged).
  const removed = await obsRequest(obs.url, PASSWORD, "RemoveScene", { sceneName: "Gameplay" });
  assert.equal(removed.requestStatus.result, true);
  await scene("Gameplay").waitFor({ state: "detached", timeout: 10_000 });

  // OBS dies: the panel says so, with the reason, and offers a reconnect.
  obs.kill();
  const state = panel.getByTestId("obs-connection");
  await page.waitForSelector('[data-testid=obs-connection]:not([data-state="ready"])', { timeout: 15_000 });
  assert.notEqual(await state.innerText(), "connected");
  const reason = await panel.getByTestId("obs-last-error").innerText();
  assert.ok(reason.length > 0, "a reason is shown");
  assert.deepEqual(consoleErrors, []);
});
