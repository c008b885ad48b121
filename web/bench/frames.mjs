// Frame times on /overlays/omnibar during an alert burst, in Debian's Chromium
// against a real landale, with an idle page measured in the same run as the floor.
//
//   cargo xtask bench frames        (builds the release hub and the pages, runs this)
//
// A burst: every 300 ms a new alert is published and the one on screen skipped, so
// enter, swap, exit, interrupt and resume tweens overlap; a sub train is running
// under it. Frame deltas come from requestAnimationFrame in the page. A frame is
// "dropped" when a delta spans more than one 60 fps interval (16.7 ms): a 50 ms delta
// counts 2. Each scenario also runs with the CPU throttled 4× (DevTools emulation),
// closer to an OBS browser source on a busy streaming machine. Every follow alert
// carries an uploaded image and sound (the alert settings), as a streamer's would.
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  controlClient,
  follow,
  launchChromium,
  publishEvent,
  startLandale,
  subscribe,
  testPng,
  testWav,
  uploadMedia,
} from "../tests/e2e/harness.mjs";

const OUT = process.env.BENCH_OUT || join(import.meta.dirname, "../../bench-results/frames.json");
const BURST_ALERTS = 25;
const GAP_MS = 300;
const IDLE_MS = 5000;
const FRAME = 1000 / 60;

function summarise(deltas) {
  const s = [...deltas].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const dropped = deltas.reduce((n, d) => n + Math.max(0, Math.round(d / FRAME) - 1), 0);
  const total = deltas.reduce((a, b) => a + b, 0);
  return {
    frames: deltas.length,
    seconds: +(total / 1000).toFixed(2),
    fps: +((deltas.length * 1000) / total).toFixed(1),
    p50_ms: +q(0.5).toFixed(2),
    p95_ms: +q(0.95).toFixed(2),
    p99_ms: +q(0.99).toFixed(2),
    max_ms: +s[s.length - 1].toFixed(2),
    dropped,
    dropped_pct: +((100 * dropped) / (deltas.length + dropped)).toFixed(2),
  };
}

/** Measurement windows and the burst's pacing (load shape, not synchronisation). */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function scenario(browser, hub, ctl, throttle) {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  await page.goto(`${hub.base}/overlays/omnibar?debug=1`);
  const atRest = () =>
    page.waitForFunction(() => {
      const s = window.debug?.layers.state();
      return s?.foreground === "hidden" && s?.background === "active" && window.debug.counters().tweens === 0;
    });
  await atRest();

  // Floor: the same page, nothing animating.
  await page.evaluate(() => window.debug.frames.start());
  await sleep(IDLE_MS);
  const idle = summarise(await page.evaluate(() => window.debug.frames.stop()));

  await publishEvent(hub, "channel.subscribe", subscribe(`Train${throttle}`));
  await page.evaluate(() => window.debug.frames.start());
  for (let i = 0; i < BURST_ALERTS; i++) {
    await publishEvent(hub, "channel.follow", follow(`Burst${throttle}x${i}`));
    await sleep(GAP_MS);
    await ctl.push("stream:queue", "skip_current");
  }
  await ctl.push("stream:queue", "clear_queue");
  await atRest(); // the last exits finish inside the window
  const burst = summarise(await page.evaluate(() => window.debug.frames.stop()));
  await page.close();
  // Idle drops nothing at 60 fps here, so a ratio would divide by zero: report the
  // difference in percentage points instead.
  return { throttle, idle, burst, added_dropped_pct: +(burst.dropped_pct - idle.dropped_pct).toFixed(2) };
}

const hub = await startLandale();
const browser = await launchChromium();
const ctl = await controlClient(hub);
try {
  const image = await uploadMedia(hub, await testPng());
  const sound = await uploadMedia(hub, testWav());
  await ctl.push("stream:queue", "update_alert_settings", { type: "follow", changes: { image, sound } });
  const results = [];
  for (const throttle of [1, 4]) {
    const r = await scenario(browser, hub, ctl, throttle);
    results.push(r);
    console.log(
      `CPU ${throttle}x  idle: ${r.idle.fps} fps, p99 ${r.idle.p99_ms} ms, dropped ${r.idle.dropped} (${r.idle.dropped_pct} %)  |  ` +
        `burst: ${r.burst.fps} fps, p50 ${r.burst.p50_ms} ms, p95 ${r.burst.p95_ms} ms, p99 ${r.burst.p99_ms} ms, max ${r.burst.max_ms} ms, ` +
        `dropped ${r.burst.dropped}/${r.burst.frames + r.burst.dropped} (${r.burst.dropped_pct} %)`,
    );
  }
  mkdirSync(join(OUT, ".."), { recursive: true });
  writeFileSync(OUT, JSON.stringify({ chromium: browser.version(), burst_alerts: BURST_ALERTS, gap_ms: GAP_MS, media: true, results }, null, 2) + "\n");
  console.log(`wrote ${OUT}`);
} finally {
  ctl.close();
  await browser.close();
  hub.stop();
}
