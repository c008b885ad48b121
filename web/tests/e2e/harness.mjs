// End-to-end harness: real OBS Studio (headless under xvfb-run), a real `landale`
// binary pointed at it, and Debian's Chromium driven by playwright-core.
//
// `cargo xtask test` builds the pages and landale and passes LANDALE_BIN. Missing
// programs make the tests skip with the reason; .ci/run installs them.

import { spawn, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";

export const LANDALE_BIN = process.env.LANDALE_BIN || "";
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** Is `program` on the PATH? */
export function onPath(program) {
  try {
    execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why these tests cannot run here, or null. */
export function missing({ obs = true } = {}) {
  if (!LANDALE_BIN) return "LANDALE_BIN is not set: run through cargo xtask test";
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium; .ci/run does)`;
  if (obs && !onPath("obs")) return "obs is not installed (apt-get install obs-studio; .ci/run does)";
  if (obs && !onPath("xvfb-run")) return "xvfb-run is not installed (apt-get install xvfb xauth)";
  return null;
}

export const FAKE_TWITCH_BIN = process.env.FAKE_TWITCH_BIN || "";

/** The fake Twitch binary on a free port, quiet (no demo events): its settings for
 * landale, `control(path, body)` for `/_fake/*`, and `stop()`. */
export async function startFakeTwitch() {
  if (!FAKE_TWITCH_BIN) throw new Error("FAKE_TWITCH_BIN is not set: run through cargo xtask test");
  const child = spawn(FAKE_TWITCH_BIN, ["--port", "0", "--quiet"], { stdio: ["ignore", "pipe", "inherit"] });
  // It prints its address first: the signal that it is listening.
  const addr = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`fake-twitch printed no address: ${out}`)), 20_000);
    child.once("exit", (code) => reject(new Error(`fake-twitch exited (${code}): ${out}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = /fake Twitch on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const base = `http://${addr}`;
  return {
    base,
    env: {
      TWITCH_CLIENT_ID: "fake-client-id",
      TWITCH_CLIENT_SECRET: "fake-client-secret",
      TWITCH_AUTH_URL: `${base}/oauth2`,
      TWITCH_API_URL: `${base}/helix`,
      TWITCH_EVENTSUB_URL: `ws://${addr}/ws`,
      TWITCH_EMOTE_URL: `${base}/emoticons/v2`,
    },
    async control(path, body) {
      const r = await fetch(`${base}/_fake/${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`/_fake/${path}: ${r.status} ${await r.text()}`);
      return r.json();
    },
    stop: () => child.kill("SIGKILL"),
  };
}

export const FAKE_RAINWAVE_BIN = process.env.FAKE_RAINWAVE_BIN || "";

/** The fake Rainwave binary on a free port: landale's settings for it, `control(path,
 * body)` for `/fake/*`, and `stop()`. */
export async function startFakeRainwave(args = []) {
  if (!FAKE_RAINWAVE_BIN) throw new Error("FAKE_RAINWAVE_BIN is not set: run through cargo xtask test");
  const port = await freePort();
  const child = spawn(FAKE_RAINWAVE_BIN, ["--port", String(port), "--user-id", "4242", "--key", "e2e-key", ...args], { stdio: ["ignore", "inherit", "inherit"] });
  await waitPort(port, 20_000, "fake-rainwave");
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    env: { RAINWAVE_API_URL: `${base}/api4`, RAINWAVE_USER_ID: "4242", RAINWAVE_API_KEY: "e2e-key", RAINWAVE_POLL_MS: "300" },
    async control(path, body = {}) {
      const r = await fetch(`${base}/fake/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`/fake/${path}: ${r.status}`);
      return r.json();
    },
    stop: () => child.kill("SIGKILL"),
  };
}

/** The IronMON tracker: a recorded session (JSON Lines, as `cargo xtask ironmon-replay`
 * reads them) sent framed over TCP to the hub's IronMON port, as fast as it goes. */
export async function replayIronmon(port, file = new URL("../../../crates/integrations/ironmon/sessions/brock.jsonl", import.meta.url)) {
  const { readFileSync } = await import("node:fs");
  const net = await import("node:net");
  const frames = readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = JSON.parse(l);
      delete m.after_ms;
      const body = Buffer.from(JSON.stringify(m));
      return Buffer.concat([Buffer.from(`${body.length} `), body]);
    });
  await new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.end(Buffer.concat(frames)));
    sock.on("close", resolve);
    sock.on("error", reject);
  });
  return frames.length;
}

export const SEED_BIN = process.env.SEED_BIN || "";

/** The seed binary on `port` against `hub`, without an LLM (its own analysis), until
 * `stop()`. Resolves once its HTTP port answers. */
export async function startSeed(hub, port, env = {}) {
  if (!SEED_BIN) throw new Error("SEED_BIN is not set: run through cargo xtask test");
  const child = spawn(SEED_BIN, [], {
    env: {
      ...process.env,
      SEED_WEBSOCKET__SERVER_URL: hub.base,
      LANDALE_TOKEN: hub.token,
      SEED_HEALTH__PORT: String(port),
      SEED_LLM__ENABLED: "false",
      RUST_LOG: process.env.RUST_LOG || "warn",
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitPort(port, 30_000, "seed");
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export const NURVUS_BIN = process.env.NURVUS_BIN || "";

/** A nurvus daemon on `port` supervising `processes` (the JSON array), until `stop()`;
 * `start()` brings it back on the same port. */
export async function startNurvus(port, processes) {
  if (!NURVUS_BIN) throw new Error("NURVUS_BIN is not set: run through cargo xtask test");
  const dir = mkdtempSync(join(tmpdir(), "nurvus-e2e-"));
  const config = join(dir, "processes.json");
  writeFileSync(config, JSON.stringify(processes));
  let child;
  const start = async () => {
    child = spawn(NURVUS_BIN, ["serve"], {
      env: { ...process.env, NURVUS_PORT: String(port), NURVUS_CONFIG: config, RUST_LOG: "warn" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    await waitPort(port, 30_000, "nurvus");
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    start,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolve when something accepts TCP on `port`; reject after `ms`. OBS and landale
 * give no other readiness signal, so this retries a connect every 100 ms. */
export async function waitPort(port, ms, what) {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} did not open port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Real OBS with obs-websocket on a free port and a password, in a throwaway HOME. */
export async function startObs(password) {
  const home = mkdtempSync(join(tmpdir(), "landale-obs-"));
  const port = await freePort();
  const cfg = join(home, ".config/obs-studio");
  mkdirSync(join(cfg, "basic/profiles/Landale"), { recursive: true });
  writeFileSync(
    join(cfg, "global.ini"),
    `[General]\nFirstRun=true\n\n[Basic]\nProfile=Landale\nProfileDir=Landale\nSceneCollection=Landale\nSceneCollectionFile=Landale\n\n` +
      `[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort=${port}\nAuthRequired=true\nServerPassword=${password}\nAlertsEnabled=false\n`,
  );
  mkdirSync(join(home, "recordings"));
  writeFileSync(
    join(cfg, "basic/profiles/Landale/basic.ini"),
    `[General]\nName=Landale\n\n[Video]\nBaseCX=320\nBaseCY=180\nOutputCX=320\nOutputCY=180\nFPSType=1\nFPSInt=30\n\n` +
      `[Output]\nMode=Simple\n\n[SimpleOutput]\nFilePath=${join(home, "recordings")}\nRecFormat=mkv\nRecFormat2=mkv\nRecQuality=Stream\nVBitrate=300\nStreamEncoder=x264\nRecEncoder=x264\nPreset=ultrafast\n`,
  );
  let child;
  const launch = async () => {
    child = spawn(
      "xvfb-run",
      ["-a", "-s", "-screen 0 1280x720x24", "obs", "--disable-shutdown-check", "--minimize-to-tray", "--multi"],
      {
        cwd: home,
        // A session bus that is not there: without one set, OBS autolaunches one
        // (dbus-launch, where dbus-x11 is installed) whose document portal mounts FUSE
        // in this HOME (EBUSY on cleanup) and outlives OBS, with its daemons.
        env: { ...process.env, HOME: home, LIBGL_ALWAYS_SOFTWARE: "1", DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, "no-bus")}` },
        stdio: "ignore",
        detached: true,
      },
    );
    await waitPort(port, 60_000, "OBS");
  };
  await launch();
  return {
    home,
    port,
    url: `ws://127.0.0.1:${port}`,
    /** The process group's leader (xvfb-run), for finding OBS among its children. */
    get pid() {
      return child.pid;
    },
    kill() {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    },
    /** A crash and a start again with the same HOME and port. */
    async restart() {
      const gone = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r)));
      this.kill();
      await gone;
      await launch();
    },
    cleanup() {
      this.kill();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * One obs-websocket request from a bare client written here (independent of
 * Landale's client): Hello → Identify with the SHA-256 answer → request → response.
 */
export async function obsRequest(url, password, requestType, requestData) {
  const ws = new WebSocket(url);
  const messages = [];
  let wake;
  ws.on("message", (m) => {
    messages.push(JSON.parse(m.toString()));
    wake?.();
  });
  const next = async () => {
    while (!messages.length) await new Promise((r) => (wake = r));
    return messages.shift();
  };
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  try {
    const hello = await next();
    const sha = (s) => createHash("sha256").update(s).digest("base64");
    const d = { rpcVersion: 1, eventSubscriptions: 0 };
    if (hello.d.authentication) {
      const { challenge, salt } = hello.d.authentication;
      d.authentication = sha(sha(password + salt) + challenge);
    }
    ws.send(JSON.stringify({ op: 1, d }));
    const identified = await next();
    if (identified.op !== 2) throw new Error(`not identified: ${JSON.stringify(identified)}`);
    const requestId = randomBytes(4).toString("hex");
    ws.send(JSON.stringify({ op: 6, d: { requestType, requestId, requestData } }));
    for (;;) {
      const m = await next();
      if (m.op === 7 && m.d.requestId === requestId) return m.d;
    }
  } finally {
    ws.close();
  }
}

/** A landale process on a free port with a fresh data dir. `restart()` stops it
 * (SIGTERM: it saves its state) and starts it again on the same port and data. */
export async function startLandale(env = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "landale-e2e-"));
  const token = "e2e-token-0123456789abcdef";
  const base = `http://127.0.0.1:${port}`;
  const spawnHub = async () => {
    const child = spawn(LANDALE_BIN, [], {
      env: {
        ...process.env,
        PORT: String(port),
        BIND_IP: "127.0.0.1",
        LANDALE_DATA_DIR: dir,
        LANDALE_TOKEN: token,
        LANDALE_DEMO: "0",
        // Any free port: the tracker's 8080 may be taken on a test machine.
        IRONMON_PORT: "0",
        RUST_LOG: process.env.RUST_LOG || "warn",
        ...env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    await waitPort(port, 30_000, "landale");
    return child;
  };
  let child = await spawnHub();
  // The pages must be served, or every page test would only time out later.
  const page = await fetch(`${base}/dashboard`);
  if (page.status !== 200) {
    child.kill("SIGKILL");
    throw new Error(`landale does not serve /dashboard (${page.status}): ${await page.text()}`);
  }
  const json = async (r) => ({ status: r.status, body: await r.json() });
  return {
    base,
    port,
    token,
    async get(path) {
      return json(await fetch(base + path));
    },
    async post(path, body) {
      const headers = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers["content-type"] = "application/json";
      return json(await fetch(base + path, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) }));
    },
    /** Stop (SIGTERM, waits for the exit) and start again on the same port and data dir. */
    async restart({ between } = {}) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      await between?.();
      child = await spawnHub();
    },
    async stopGracefully() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
    start: async () => void (child = await spawnHub()),
    stop() {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let eventCounter = 0;
/** POST /api/eventsub as Twitch would deliver it (a unique message id each time). */
export async function publishEvent(hub, type, event, version = type === "channel.follow" ? "2" : "1") {
  const r = await fetch(`${hub.base}/api/eventsub`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${hub.token}`,
      "twitch-eventsub-message-id": `e2e-${process.pid}-${++eventCounter}-${randomBytes(3).toString("hex")}`,
    },
    body: JSON.stringify({ subscription: { type, version }, event }),
  });
  const body = await r.json();
  if (r.status !== 200 || !body.success) throw new Error(`POST /api/eventsub ${type}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

export const follow = (name) => ({
  user_id: String(100000 + (++eventCounter % 800000)),
  user_login: name.toLowerCase(),
  user_name: name,
  broadcaster_user_id: "12826",
  broadcaster_user_login: "avalonstar",
  broadcaster_user_name: "Avalonstar",
  followed_at: new Date().toISOString(),
});

export const subscribe = (name, tier = "1000") => ({
  user_id: String(100000 + (++eventCounter % 800000)),
  user_login: name.toLowerCase(),
  user_name: name,
  broadcaster_user_id: "12826",
  broadcaster_user_login: "avalonstar",
  broadcaster_user_name: "Avalonstar",
  tier,
  is_gift: false,
});

export const chat = (name, text, extra = {}) => ({
  broadcaster_user_id: "12826",
  broadcaster_user_login: "avalonstar",
  broadcaster_user_name: "Avalonstar",
  message_id: randomBytes(16).toString("hex"),
  chatter_user_id: String(100000 + (++eventCounter % 800000)),
  chatter_user_login: name.toLowerCase(),
  chatter_user_name: name,
  message: {
    text,
    // Twitch's fragments keep the spaces: emotes apart, the text between them as is.
    fragments: text
      .split(/( )/)
      .filter((w) => w !== "")
      .map((w) =>
        w.startsWith("avalon") || w === "Kappa"
          ? { type: "emote", text: w, emote: { id: w, emote_set_id: "0" } }
          : { type: "text", text: w },
      ),
  },
  color: "#9146FF",
  badges: [],
  message_type: "text",
  ...extra,
});

/**
 * What a leak would grow, read through the DevTools protocol after a full collection:
 * - `heapBytes`: the JS heap in use;
 * - `reachableNodes`: DOM nodes that JavaScript can still reach (`Runtime.queryObjects`
 *   on `Node.prototype` collects all garbage first, then counts the live wrappers). A
 *   detached subtree something still holds counts; one waiting to be swept does not,
 *   so a busy machine does not move it;
 * - `attachedNodes`: nodes in the document (elements and text);
 * - `listeners`: DevTools' count of JS event listeners.
 * DevTools' own `Nodes` counter is not used: it counts nodes until Blink sweeps them,
 * which load delays (a soak once saw +60 with no leak).
 */
export async function pageMemory(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("Performance.enable");
    const { result: proto } = await cdp.send("Runtime.evaluate", { expression: "Node.prototype", objectGroup: "census" });
    const { objects } = await cdp.send("Runtime.queryObjects", { prototypeObjectId: proto.objectId, objectGroup: "census" });
    const { result: count } = await cdp.send("Runtime.callFunctionOn", {
      objectId: objects.objectId,
      functionDeclaration: "function () { return this.length; }",
      returnByValue: true,
    });
    await cdp.send("Runtime.releaseObjectGroup", { objectGroup: "census" });
    const heap = await cdp.send("Runtime.getHeapUsage");
    const { metrics } = await cdp.send("Performance.getMetrics");
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const attachedNodes = await page.evaluate(() => {
      const walk = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
      let n = 0;
      while (walk.nextNode()) n++;
      return n;
    });
    return { heapBytes: heap.usedSize, reachableNodes: count.value, attachedNodes, listeners: m.JSEventListeners };
  } finally {
    await cdp.detach();
  }
}

/**
 * A control client: the official phoenix client in Node with the token, joined to
 * the stream topics. `push` resolves with the reply envelope's data or rejects.
 */
export async function controlClient(hub) {
  const { Socket } = await import("phoenix");
  const socket = new Socket(`ws://127.0.0.1:${hub.port}/socket`, {
    transport: WebSocket,
    params: { token: hub.token },
    reconnectAfterMs: () => 100,
    rejoinAfterMs: () => 100,
  });
  socket.connect();
  const channels = new Map();
  const channel = (topic) => {
    if (!channels.has(topic)) {
      const ch = socket.channel(topic, {});
      ch.join();
      channels.set(topic, ch);
    }
    return channels.get(topic);
  };
  return {
    push(topic, event, payload = {}) {
      return new Promise((resolve, reject) => {
        channel(topic)
          .push(event, payload, 10_000)
          .receive("ok", (r) => resolve(r?.data ?? r))
          .receive("error", (r) => reject(new Error(`${event}: ${JSON.stringify(r)}`)))
          .receive("timeout", () => reject(new Error(`${event}: timeout`)));
      });
    },
    close: () => socket.disconnect(),
  };
}

/** A 64×64 PNG, made here (tests make their media; nothing is downloaded). */
export async function testPng() {
  const { PNG } = await import("pngjs");
  const img = new PNG({ width: 64, height: 64 });
  for (let i = 0; i < img.data.length; i += 4) img.data.set([255, 159, 67, 255], i);
  return PNG.sync.write(img);
}

/** Half a second of a 440 Hz tone as 8 kHz 16-bit WAV. */
export function testWav() {
  const n = 4000;
  const b = Buffer.alloc(44 + n * 2);
  b.write("RIFF", 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write("WAVEfmt ", 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), 44 + i * 2);
  return b;
}

/**
 * A landale, Chromium and a token-holding control client for one browser test,
 * stopped after it; `null` (the test marked skipped, with why) when this machine
 * cannot run them. `page(viewport?)` opens a page whose uncaught errors land in
 * `errors`.
 */
export async function browserRig(t, { obs = false, env = {} } = {}) {
  const why = missing({ obs });
  if (why) {
    t.skip(why);
    return null;
  }
  const hub = await startLandale(env);
  t.after(() => hub.stop());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const ctl = await controlClient(hub);
  t.after(() => ctl.close());
  const errors = [];
  const page = async (viewport = { width: 1920, height: 1080 }) => {
    const p = await browser.newPage({ viewport });
    p.on("pageerror", (e) => errors.push(String(e)));
    return p;
  };
  return { hub, browser, ctl, errors, page };
}

/** Upload a file as alert media (with the token); resolves with its stored name. */
export async function uploadMedia(hub, bytes) {
  const r = await fetch(`${hub.base}/api/media`, { method: "POST", body: bytes, headers: { authorization: `Bearer ${hub.token}` } });
  const body = await r.json();
  if (r.status !== 201) throw new Error(`POST /api/media: ${r.status} ${JSON.stringify(body)}`);
  return body.data.name;
}

/** Decode a PNG screenshot: `alpha(x, y)` and `rgba(x, y)`. */
export async function pixels(png) {
  const { PNG } = await import("pngjs");
  const img = PNG.sync.read(png);
  const at = (x, y) => (img.width * y + x) * 4;
  return {
    width: img.width,
    height: img.height,
    rgba: (x, y) => [...img.data.subarray(at(x, y), at(x, y) + 4)],
    alpha: (x, y) => img.data[at(x, y) + 3],
    /** Share of pixels in the box whose alpha is above `min`. */
    drawn(x0, y0, x1, y1, min = 200) {
      let n = 0;
      let hit = 0;
      for (let y = y0; y < y1; y += 2)
        for (let x = x0; x < x1; x += 2) {
          n++;
          if (img.data[at(x, y) + 3] > min) hit++;
        }
      return hit / n;
    },
  };
}

export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
    // Alert sounds play unprompted, as in an OBS browser source.
    args: ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
  });
}
