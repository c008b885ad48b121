// The dashboard as a streamer meets it, in Chromium against a real landale: the
// first-run checklist (what is left, with advice that works and overlay URLs to
// copy), streamer words instead of event ids, controls that say why they are off
// while the hub is away, a narrow OBS dock without sideways scrolling, and a grid
// without holes, with aligned columns and buttons on one line at every width.

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
    ["/overlays/takeover", "/overlays/omnibar", "/overlays/captions", "/overlays/ironmon", "/overlays/music", "/overlays/chat", "/overlays/emote-rain"],
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

  // As an OBS custom dock (narrow, tall or short, as docks are dragged): nothing
  // scrolls sideways. The desktop app's 1920×400 strip is the same page.
  for (const [width, height] of [[320, 900], [360, 480], [420, 300], [540, 700]]) {
    const dock = await rig.page({ width, height });
    await dock.goto(`${hub.base}/dashboard`);
    await dock.getByTestId("alerts-panel").waitFor();
    const widths = await dock.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(widths.scroll <= widths.client, `sideways scroll in a ${width}×${height} dock: ${JSON.stringify(widths)}`);
    await dock.close();
  }
  assert.deepEqual(errors, []);
});

/**
 * The panel grid as boxes, and every visible button whose words take more than one
 * line (a Range's line boxes: their distinct tops) or that sticks out of its panel.
 */
function measureGrid() {
  const grid = document.querySelector("main .grid").getBoundingClientRect();
  const panels = [...document.querySelectorAll("main .grid > .panel")].map((p) => {
    const r = p.getBoundingClientRect();
    return { name: p.getAttribute("aria-label"), left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  });
  const wrapped = [];
  for (const b of document.querySelectorAll("main button")) {
    const r = b.getBoundingClientRect();
    if (r.width === 0 || getComputedStyle(b).visibility === "hidden") continue;
    const range = document.createRange();
    range.selectNodeContents(b);
    const tops = new Set([...range.getClientRects()].map((l) => Math.round(l.top / 4)));
    const panel = b.closest(".panel")?.getBoundingClientRect();
    const out = panel && (r.right > panel.right + 0.5 || r.left < panel.left - 0.5);
    if (tops.size > 1 || out) wrapped.push(`${b.textContent.trim()} (${tops.size} lines${out ? ", outside its panel" : ""})`);
  }
  const gap = parseFloat(getComputedStyle(document.querySelector("main .grid")).columnGap) || 0;
  return { grid: { left: grid.left, right: grid.right, gap }, panels, wrapped };
}

/** What is wrong with a measured grid, in words (empty when nothing is). */
export function gridProblems({ grid, panels }, columns) {
  const near = (a, b) => Math.abs(a - b) <= 1;
  const problems = [];
  const lefts = [...new Set(panels.map((p) => Math.round(p.left)))].sort((a, b) => a - b);
  const lines = lefts.filter((l, i) => i === 0 || l - lefts[i - 1] > 1);
  if (lines.length !== columns) problems.push(`${lines.length} column starts (${lines}), want ${columns}`);
  // Rows: panels sharing a top. Each is one height (no hole under a shorter card)
  // and spans the grid from edge to edge (no empty cell at its end).
  const rows = new Map();
  for (const p of panels) {
    const key = [...rows.keys()].find((t) => near(t, p.top)) ?? p.top;
    rows.set(key, [...(rows.get(key) ?? []), p]);
  }
  for (const [top, row] of rows) {
    const names = row.map((p) => p.name).join(", ");
    if (!row.every((p) => near(p.bottom, row[0].bottom))) problems.push(`row at ${Math.round(top)} (${names}) has a hole: bottoms ${row.map((p) => Math.round(p.bottom))}`);
    const left = Math.min(...row.map((p) => p.left));
    const right = Math.max(...row.map((p) => p.right));
    if (!near(left, grid.left) || !near(right, grid.right)) problems.push(`row at ${Math.round(top)} (${names}) leaves cells empty: ${Math.round(left)}–${Math.round(right)} of ${Math.round(grid.left)}–${Math.round(grid.right)}`);
  }
  // Aligned: every card starts on a column line and ends where a column does.
  const ends = [...lines.slice(1).map((l) => l - grid.gap), grid.right];
  for (const p of panels) {
    if (!lines.some((l) => near(l, p.left))) problems.push(`${p.name} starts off the columns`);
    if (!ends.some((e) => near(e, p.right))) problems.push(`${p.name} ends off the columns`);
  }
  return problems;
}

test("dashboard grid: no holes, aligned columns, buttons on one line, from a wide monitor to a dock", { timeout: 120_000 }, async (t) => {
  const rig = await browserRig(t);
  if (!rig) return;
  const { hub, errors } = rig;
  for (const [width, height, columns] of [
    [1920, 1080, 3],
    [1366, 768, 3],
    [1024, 768, 2],
    [390, 844, 1],
    [320, 900, 1],
  ]) {
    const page = await rig.page({ width, height });
    await page.goto(`${hub.base}/dashboard`);
    await page.getByTestId("services-panel").waitFor();
    // Once the live state is in, the panels hold what a streamer sees.
    await page.waitForSelector("[data-testid=hub-online]");
    await page.waitForFunction(() => document.fonts.status === "loaded");
    const m = await page.evaluate(measureGrid);
    assert.equal(m.panels.length, 11, `${width}px: ${m.panels.map((p) => p.name)}`);
    const problems = gridProblems(m, columns);
    assert.deepEqual(problems, [], `${width}×${height}: ${problems.join("; ")}`);
    assert.deepEqual(m.wrapped, [], `${width}×${height}: buttons wrapped or outside their panel`);
    await page.close();
  }
  assert.deepEqual(errors, []);
});

test("the grid check finds a hole, an empty cell and a card off the columns", () => {
  const grid = { left: 0, right: 300, gap: 10 };
  const card = (name, left, right, top, bottom) => ({ name, left, right, top, bottom });
  const good = [card("a", 0, 145, 0, 100), card("b", 155, 300, 0, 100), card("c", 0, 300, 110, 200)];
  assert.deepEqual(gridProblems({ grid, panels: good }, 2), []);
  const hole = [card("a", 0, 145, 0, 100), card("b", 155, 300, 0, 60), card("c", 0, 300, 110, 200)];
  assert.match(gridProblems({ grid, panels: hole }, 2).join(), /has a hole/);
  const empty = [card("a", 0, 145, 0, 100), card("b", 155, 300, 0, 100), card("c", 0, 145, 110, 200)];
  assert.match(gridProblems({ grid, panels: empty }, 2).join(), /leaves cells empty/);
  const off = [card("a", 0, 145, 0, 100), card("b", 155, 300, 0, 100), card("c", 20, 300, 110, 200)];
  assert.match(gridProblems({ grid, panels: off }, 2).join(), /3 column starts/);
  const short = [card("a", 0, 145, 0, 100), card("b", 155, 300, 0, 100), card("c", 0, 120, 110, 200), card("d", 155, 300, 110, 200)];
  assert.match(gridProblems({ grid, panels: short }, 2).join(), /c ends off the columns/);
});
