// Alerts as viewers see them, in Debian's Chromium at 1920×1080 with the bundled
// fonts, against a real landale: for hostile names (descenders, underscores, 25- and
// 40-character names, CJK, emoji, zero-width characters, right-to-left text) and a
// 500-character cheer message, every glyph of the name is painted inside its card.
//
// Sizes cannot catch a clipped name (glyphs paint outside their line box, and
// `overflow: hidden` cuts the ink while scroll and client sizes still match), so the
// check compares pixels: the card as shown, and the card with the title's clipping
// lifted. Any difference is ink that was cut. The test first shows that the check
// catches the card as it was before (its CSS injected back), then that today's card
// passes. It also checks that the drawn boxes stay inside their zones and never meet.

import { test } from "node:test";
import assert from "node:assert/strict";
import { browserRig, follow, publishEvent, subscribe } from "./harness.mjs";

/** The card as it was: a fixed 150 px box whose lines shrink, a 1.3 line box. */
const OLD_CARD_CSS = `
  .layer-foreground { top: 810px !important; height: 150px !important; }
  .alert-card { padding: 20px 32px !important; gap: 0 !important; flex-direction: column !important; align-items: stretch !important; }
  .alert-text { display: contents !important; }
  .alert-kicker, .alert-title, .alert-detail { flex: 0 1 auto !important; line-height: normal !important; }
  .alert-title { line-height: 1.3 !important; }
  .alert-detail { display: block !important; overflow: visible !important; }
`;
const UNCLIP = ".alert-title { overflow: visible !important; text-overflow: clip !important; }";

const NAMES = [
  "kaizo_kid",
  "SundaySauce",
  "gjpqy_gjpqy_gjpqy",
  "Abcdefghijklmnopqrstuvwxy", // 25 characters, Twitch's longest
  "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", // 40 of the widest letter
  "日本語の名前テストです",
  "Party🎉Cat",
  "Zero\u200bWidth\u200dName",
  "مرحبا_بالعالم",
];

async function shot(page, clip) {
  return page.screenshot({ clip, omitBackground: true, animations: "disabled" });
}

/** A screenshot taken once two in a row agree (the card has stopped moving). */
async function stableShot(page, clip) {
  let last = await shot(page, clip);
  for (let i = 0; i < 50; i++) {
    const next = await shot(page, clip);
    if (next.equals(last)) return next;
    last = next;
  }
  throw new Error("the alert card never stopped changing");
}

/** Pixels of the card that change when the title's clipping is lifted. */
async function clippedInk(page) {
  const box = await page.locator("[data-testid=alert]").boundingBox();
  const clip = { x: Math.floor(box.x), y: Math.floor(box.y), width: Math.ceil(box.width), height: Math.ceil(box.height) };
  const before = await stableShot(page, clip);
  const style = await page.addStyleTag({ content: UNCLIP });
  const after = await stableShot(page, clip);
  await style.evaluate((el) => el.remove());
  const { PNG } = await import("pngjs");
  const a = PNG.sync.read(before).data;
  const b = PNG.sync.read(after).data;
  let differ = 0;
  for (let i = 0; i < a.length; i += 4) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3]) differ++;
  }
  return differ;
}

const waitTitle = (page, name) =>
  page.waitForFunction((name) => document.querySelector("[data-testid=alert-title]")?.textContent === name, name, { timeout: 15_000 });
const waitActive = (page) =>
  page.waitForFunction(() => window.debug?.layers.state().foreground === "active", null, { timeout: 15_000 });

test("alerts on air: names never clipped, text shrinks first, zones never meet", { timeout: 180_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, ctl, errors } = rig;
  const page = await rig.page();
  await page.goto(`${hub.base}/overlays/omnibar?debug=1`);
  await page.waitForFunction(() => window.debug?.layers.state().background === "active");

  // The check catches the card as it was: a descender cut at the bottom.
  await publishEvent(hub, "channel.follow", follow("kaizo_kid"));
  await waitTitle(page, "kaizo_kid");
  await waitActive(page);
  await page.evaluate(() => document.fonts.ready);
  assert.ok(
    await page.evaluate(() => document.fonts.check('900 52px "Inter Variable"')),
    "the bundled font is loaded",
  );
  const old = await page.addStyleTag({ content: OLD_CARD_CSS });
  const cutBefore = await clippedInk(page);
  await old.evaluate((el) => el.remove());
  assert.ok(cutBefore > 0, "the pixel check sees the old card cut the name");
  assert.equal(await clippedInk(page), 0, "today's card shows all of kaizo_kid");
  await ctl.push("stream:queue", "skip_current");

  for (const [i, name] of NAMES.slice(1).entries()) {
    // Display names may be anything; the login stays a Twitch login.
    await publishEvent(hub, "channel.follow", { ...follow(name), user_login: `hostile_${i}` });
    await waitTitle(page, name);
    await waitActive(page);
    const cut = await clippedInk(page);
    const size = Number(await page.getAttribute("[data-testid=alert-title]", "data-fitted-size"));
    assert.equal(cut, 0, `${JSON.stringify(name)}: ${cut} pixels of the name cut (font ${size}px)`);
    if (name.length >= 25) assert.ok(size < 52, `${name}: shrunk to fit (${size}px), not cut`);
    await ctl.push("stream:queue", "skip_current");
  }

  // A 500-character cheer message: the cheerer's name stays whole, the message takes
  // two lines at most, and the card stays in its zone.
  const message = "Cheer500 " + "this run is absolutely incredible ".repeat(15).slice(0, 491);
  await publishEvent(hub, "channel.cheer", {
    is_anonymous: false,
    user_id: "4242",
    user_login: "sundaysauce",
    user_name: "SundaySauce",
    broadcaster_user_id: "12826",
    broadcaster_user_login: "avalonstar",
    broadcaster_user_name: "Avalonstar",
    message,
    bits: 500,
  });
  await waitTitle(page, "SundaySauce");
  await waitActive(page);
  assert.equal(await clippedInk(page), 0, "the cheerer's name is whole under a long message");
  const detail = await page.locator("[data-testid=alert-detail]").evaluate((el) => ({
    text: el.textContent,
    lines: Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)),
  }));
  assert.ok(detail.text.startsWith("500 bits · this run"), `no cheermote text: ${detail.text.slice(0, 40)}`);
  assert.ok(detail.lines <= 2, `the message takes ${detail.lines} lines`);

  // A sub train beside the alert: every drawn box inside its zone, none meeting.
  await publishEvent(hub, "channel.subscribe", subscribe("Bea"));
  await page.waitForSelector("[data-testid=sub-train]");
  await page.waitForFunction(() => window.debug.layers.state().midground !== "hidden");
  // Boxes as drawn (transforms included), once ten frames in a row agree; each zone is
  // where its layer is placed (lib/zones.ts).
  const boxes = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const rect = (sel) => {
          const b = document.querySelector(sel).getBoundingClientRect();
          return { x: b.x, y: b.y, w: b.width, h: b.height };
        };
        const layer = (el) => ({ x: el.offsetLeft, y: el.offsetTop, w: el.offsetWidth, h: el.offsetHeight });
        const read = () => ({
          alert: rect(".alert-card"),
          train: rect(".train-card"),
          bar: rect(".bar"),
          zones: {
            alert: layer(document.querySelector(".layer-foreground")),
            train: layer(document.querySelector(".layer-midground")),
            bar: layer(document.querySelector(".layer-background")),
          },
        });
        let last = "";
        let same = 0;
        const tick = () => {
          const now = JSON.stringify(read());
          same = now === last ? same + 1 : 0;
          last = now;
          if (same >= 10) resolve(JSON.parse(now));
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
  );
  const inside = (b, z) => b.x >= z.x - 0.5 && b.y >= z.y - 0.5 && b.x + b.w <= z.x + z.w + 0.5 && b.y + b.h <= z.y + z.h + 0.5;
  const meet = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  for (const k of ["alert", "train", "bar"]) {
    assert.ok(inside(boxes[k], boxes.zones[k]), `${k} ${JSON.stringify(boxes[k])} outside its zone ${JSON.stringify(boxes.zones[k])}`);
  }
  assert.ok(!meet(boxes.alert, boxes.train) && !meet(boxes.alert, boxes.bar) && !meet(boxes.train, boxes.bar), JSON.stringify(boxes));
  // Under the alert the bar is dimmed, not moved; the sub train keeps its zone.
  assert.equal(await page.evaluate(() => window.debug.layers.state().background), "interrupted");

  assert.deepEqual(errors, []);
});
