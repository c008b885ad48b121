// Golden screenshots: every alert type (as a dashboard test alert, through the
// pipeline and the queue), the sub train, the bar, a caption, a takeover and the
// IronMON card, at 1920×1080 in Debian's
// Chromium with the bundled fonts, compared with the PNGs in `golden/` with a small
// tolerance (a pixel counts as changed when a channel moves by more than 24; at most
// 0.3 % may). A missing golden is written and the test fails saying so; after a
// deliberate change, `UPDATE_GOLDEN=1` rewrites them all. Over a mid-grey page, so
// the cards' shadows and transparency are part of what is compared.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserRig, publishEvent, replayIronmon } from "./harness.mjs";

const DIR = join(import.meta.dirname, "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const CHANNEL = 24;
const MAX_CHANGED = 0.003;

/** Zones (lib/zones.ts) with a margin for shadows, each stopping above the bar. */
const ALERT = { x: 520, y: 720, width: 880, height: 265 };
const TRAIN = { x: 1360, y: 840, width: 520, height: 146 };
const BAR = { x: 24, y: 970, width: 1872, height: 100 };

async function stableShot(page, clip) {
  let last = await page.screenshot({ clip });
  for (let i = 0; i < 60; i++) {
    const next = await page.screenshot({ clip });
    if (next.equals(last)) return next;
    last = next;
  }
  throw new Error("the page never stopped changing");
}

/** Share of pixels that differ by more than CHANNEL in some channel. */
async function changed(a, b) {
  const { PNG } = await import("pngjs");
  const x = PNG.sync.read(a);
  const y = PNG.sync.read(b);
  if (x.width !== y.width || x.height !== y.height) return 1;
  let n = 0;
  for (let i = 0; i < x.data.length; i += 4) {
    for (let c = 0; c < 4; c++) {
      if (Math.abs(x.data[i + c] - y.data[i + c]) > CHANNEL) {
        n++;
        break;
      }
    }
  }
  return n / (x.width * x.height);
}

/** Compare with (or write) `golden/<name>.png`; returns a problem in words, or null. */
async function check(name, png) {
  const file = join(DIR, `${name}.png`);
  if (UPDATE || !existsSync(file)) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, png);
    return UPDATE ? null : `${name}: no golden yet; wrote ${file} (check it, commit it)`;
  }
  const share = await changed(readFileSync(file), png);
  if (share <= MAX_CHANGED) return null;
  const seen = join(DIR, `${name}.actual.png`);
  writeFileSync(seen, png);
  return `${name}: ${(share * 100).toFixed(2)} % of pixels changed (bound ${MAX_CHANGED * 100} %); see ${seen}`;
}

test("golden screenshots of every alert type, the sub train, the bar, captions, a takeover and IronMON", { timeout: 180_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, ctl, errors } = rig;
  const page = await rig.page();
  await page.goto(`${hub.base}/overlays/omnibar?debug=1`);
  await page.addStyleTag({ content: "html, body { background: #6b6f76 !important; }" });
  await page.waitForFunction(() => window.debug?.layers.state().background === "active");
  await page.evaluate(() => document.fonts.ready);
  const problems = [];

  // The bar, showing the ticker's first item (it rotates every 15 s: taken while
  // "Emotes today" is up, before and after the shot).
  for (;;) {
    await page.waitForSelector('[data-testid=ticker][data-ticker-type="emote_stats"]', { timeout: 40_000 });
    const shot = await stableShot(page, BAR);
    if ((await page.getAttribute("[data-testid=ticker]", "data-ticker-type")) === "emote_stats") {
      problems.push(await check("bar", shot));
      break;
    }
  }

  const alerts = [
    ["follow", { user: "kaizo_kid" }],
    ["cheer", { user: "SundaySauce", amount: 1500, message: "that was clean" }],
    ["raid", { user: "GlitchWitch", amount: 1234 }],
    ["gift", { user: "Generous", amount: 10 }],
    ["redemption", { user: "Hydrator", amount: 500, message: "drink water" }],
    ["hype_train", { amount: 3 }],
  ];
  for (const [type, values] of alerts) {
    await ctl.push("stream:queue", "test_alert", { type, ...values });
    await page.waitForFunction((type) => document.querySelector("[data-testid=alert]")?.dataset.style === type, type);
    await page.waitForFunction(() => window.debug.layers.state().foreground === "active");
    // A cheer asks the hub for its cheermote (none here: no Twitch): settled either way.
    await page.waitForFunction(() => {
      const img = document.querySelector("[data-testid=cheermote]");
      return !img || img.complete;
    });
    problems.push(await check(`alert-${type}`, await stableShot(page, ALERT)));
    await ctl.push("stream:queue", "skip_current");
    await page.waitForFunction(() => window.debug.layers.state().foreground === "hidden");
  }

  // A resub starts the sub train.
  await ctl.push("stream:queue", "test_alert", { type: "resub", user: "Loyal", amount: 27 });
  await page.waitForFunction(() => window.debug.layers.state().midground === "active");
  problems.push(await check("sub-train", await stableShot(page, TRAIN)));

  // Captions: a line as viewers see it (before it fades).
  const cap = await rig.page();
  await cap.goto(`${hub.base}/overlays/captions?debug=1`);
  await cap.addStyleTag({ content: "html, body { background: #6b6f76 !important; }" });
  await cap.waitForFunction(() => window.debug?.socket.lastSeq("transcription:live") !== null);
  await ctl.push("transcription:live", "submit_transcription", {
    timestamp: new Date().toISOString(),
    duration: 1.5,
    text: "okay chat, this is the last attempt of the night",
    source_id: "phononmaser",
    confidence: 0.9,
  });
  await cap.waitForSelector("[data-testid=caption]");
  problems.push(await check("captions", await stableShot(cap, { x: 240, y: 540, width: 1440, height: 220 })));

  // A takeover (it covers the whole canvas; its words and bar are compared).
  const cover = await rig.page();
  await cover.goto(`${hub.base}/overlays/takeover?debug=1`);
  await cover.waitForFunction(() => window.debug?.socket.connected());
  await ctl.push("stream:overlays", "takeover", { type: "technical-difficulties", message: "Router is rebooting", duration: 0 });
  await cover.waitForFunction(() => getComputedStyle(document.querySelector("[data-testid=takeover]") ?? document.body).opacity === "1");
  problems.push(await check("takeover", await stableShot(cover, { x: 280, y: 380, width: 1360, height: 320 })));

  // The IronMON card during a run: the tracker's messages over TCP (a seed, where
  // the player is, the team, five checkpoints, a won gym battle).
  const iron = await rig.page();
  await iron.goto(`${hub.base}/overlays/ironmon?debug=1`);
  await iron.addStyleTag({ content: "html, body { background: #6b6f76 !important; }" });
  const session = join(mkdtempSync(join(tmpdir(), "ironmon-")), "run.jsonl");
  writeFileSync(session, [
    { type: "init", data: { version: "2.1.0", game: 3 } },
    { type: "seed", data: { count: 1042 } },
    { type: "pokemon_update", data: { team: [{ name: "Charmander", level: 14, hp: 30 }, { name: "Pidgey", level: 9, hp: 0 }] } },
    ...["LAB", "RIVAL1", "FIRSTTRAINER", "RIVAL2", "BROCK"].map((name, i) => ({ type: "checkpoint", data: { id: i + 1, name } })),
    { type: "battle_start", data: { trainer: "Brock", pokemon: [] } },
    { type: "battle_end", data: { result: "win", pokemon: [] } },
    { type: "location", data: { id: 3, name: "Pewter City" } },
  ].map((m) => JSON.stringify(m)).join("\n"));
  const { port } = (await hub.get("/api/ironmon/status")).body.data;
  await replayIronmon(port, session);
  await iron.getByTestId("ironmon-location").filter({ hasText: "Pewter City" }).waitFor({ timeout: 30_000 });
  problems.push(await check("ironmon", await stableShot(iron, { x: 24, y: 24, width: 508, height: 460 })));

  assert.deepEqual(problems.filter(Boolean), []);
  assert.deepEqual(errors, []);
});
