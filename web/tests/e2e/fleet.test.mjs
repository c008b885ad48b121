// The fleet in the dashboard's services panel, in Chromium against a real landale and
// two real nurvus daemons (two "machines" on different ports): every machine's
// processes live, a stop and a log view through the hub, and a machine that goes away
// shown as unreachable with the reason, then back. Each change is also an event on
// `events:system` (the official phoenix client listens).

import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { browserRig, freePort, NURVUS_BIN, startNurvus } from "./harness.mjs";

test("dashboard: the fleet of machines, controlled and watched", { timeout: 120_000 }, async (t) => {
  if (!NURVUS_BIN) return t.skip("NURVUS_BIN is not set: run through cargo xtask test");
  const [pa, pb] = [await freePort(), await freePort()];
  const streaming = await startNurvus(pa, [{ id: "obs-helper", name: "OBS helper", command: "sh", args: ["-c", "echo helper ready; exec sleep 1000"] }]);
  const services = await startNurvus(pb, [
    { id: "seedling", name: "Seedling", command: "sh", args: ["-c", "echo seedling up; exec sleep 1000"] },
    { id: "spare", name: "Spare", command: "sleep", args: ["1000"], autostart: false },
  ]);
  t.after(async () => {
    await streaming.stop();
    await services.stop();
    streaming.cleanup();
    services.cleanup();
  });
  const rig = await browserRig(t, { env: { NURVUS_URLS: `streaming=${streaming.url},services=${services.url}` } });
  if (!rig) return;
  const events = await systemEvents(rig.hub);
  t.after(() => events.close());
  const dash = await rig.page({ width: 1400, height: 1400 });
  await dash.goto(`${rig.hub.base}/dashboard`);
  const machine = (name) => dash.locator(`[data-testid=machine][data-machine=${name}]`);
  const proc = (name, id) => machine(name).locator(`[data-testid=fleet-process][data-process="${id}"]`);

  await proc("streaming", "obs-helper").and(dash.locator('[data-state="running"]')).waitFor();
  await proc("services", "seedling").and(dash.locator('[data-state="running"]')).waitFor();
  assert.equal(await proc("services", "spare").getAttribute("data-state"), "stopped");
  assert.match(await machine("services").getByTestId("machine-line").textContent(), /^1 of 2 running/);

  // Start and stop on the second machine, through the hub.
  await proc("services", "spare").locator("[data-action=start]").click();
  await proc("services", "spare").and(dash.locator('[data-state="running"]')).waitFor();
  await proc("services", "seedling").locator("[data-action=stop]").click();
  await proc("services", "seedling").and(dash.locator('[data-state="stopped"]')).waitFor();
  const started = await events.next((e) => e.type === "system.service_started" && e.service === "services/spare");
  assert.equal(started.machine, "services");
  const stopped = await events.next((e) => e.type === "system.service_stopped" && e.service === "services/seedling");
  assert.match(stopped.reason, /^stopped/);

  // The log view.
  await proc("streaming", "obs-helper").locator("[data-action=logs]").click();
  await dash.getByTestId("fleet-logs").getByText("helper ready").waitFor();

  // A machine that goes away is shown as unreachable, with why; then back.
  await streaming.stop();
  await machine("streaming").and(dash.locator('[data-reachable="false"]')).waitFor({ timeout: 30_000 });
  assert.match(await machine("streaming").getByTestId("machine-line").textContent(), /^unreachable: nurvus is not running at http:\/\/127\.0\.0\.1:/);
  const lost = await events.next((e) => e.type === "system.health_check" && e.service === "nurvus@streaming");
  assert.equal(lost.health_status, "unreachable");
  await streaming.start();
  await proc("streaming", "obs-helper").and(dash.locator('[data-state="running"]')).waitFor({ timeout: 60_000 });
  const back = await events.next((e) => e.type === "system.health_check" && e.service === "nurvus@streaming" && e !== lost);
  assert.equal(back.health_status, "healthy");
  assert.deepEqual(rig.errors, []);
});

/** `events:system` through the official phoenix client; `next(match)` resolves with the
 * first event (seen before or after the call) that matches and was not taken yet. */
async function systemEvents(hub) {
  const { Socket } = await import("phoenix");
  const socket = new Socket(`ws://127.0.0.1:${hub.port}/socket`, { transport: WebSocket });
  socket.connect();
  const seen = [];
  const taken = new Set();
  let wake = () => {};
  const ch = socket.channel("events:system", {});
  ch.on("system_event", (e) => { seen.push(e); wake(); });
  ch.on("health_update", (e) => { seen.push(e); wake(); });
  await new Promise((resolve, reject) => ch.join().receive("ok", resolve).receive("error", reject));
  return {
    async next(match, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = seen.find((e) => !taken.has(e) && match(e));
        if (hit) { taken.add(hit); return hit; }
        if (Date.now() > deadline) throw new Error(`no matching event within ${ms} ms; saw ${JSON.stringify(seen.map((e) => [e.type, e.service]))}`);
        await new Promise((r) => { wake = r; setTimeout(r, 500); });
      }
    },
    close: () => socket.disconnect(),
  };
}
