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

function onPath(program) {
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
  const child = spawn(
    "xvfb-run",
    ["-a", "-s", "-screen 0 1280x720x24", "obs", "--disable-shutdown-check", "--minimize-to-tray", "--multi"],
    {
      cwd: home,
      env: { ...process.env, HOME: home, LIBGL_ALWAYS_SOFTWARE: "1" },
      stdio: "ignore",
      detached: true,
    },
  );
  await waitPort(port, 60_000, "OBS");
  return {
    home,
    port,
    url: `ws://127.0.0.1:${port}`,
    kill() {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
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

/** A landale process on a free port with a fresh data dir. */
export async function startLandale(env = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "landale-e2e-"));
  const token = "e2e-token-0123456789abcdef";
  const child = spawn(LANDALE_BIN, [], {
    env: {
      ...process.env,
      PORT: String(port),
      BIND_IP: "127.0.0.1",
      LANDALE_DATA_DIR: dir,
      LANDALE_TOKEN: token,
      LANDALE_DEMO: "0",
      RUST_LOG: process.env.RUST_LOG || "warn",
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitPort(port, 30_000, "landale");
  const base = `http://127.0.0.1:${port}`;
  // The pages must be served, or every page test would only time out later.
  const page = await fetch(`${base}/dashboard`);
  if (page.status !== 200) {
    child.kill("SIGKILL");
    throw new Error(`landale does not serve /dashboard (${page.status}): ${await page.text()}`);
  }
  return {
    base,
    token,
    async get(path) {
      const r = await fetch(base + path);
      return { status: r.status, body: await r.json() };
    },
    async post(path) {
      const r = await fetch(base + path, { method: "POST", headers: { authorization: `Bearer ${token}` } });
      return { status: r.status, body: await r.json() };
    },
    stop() {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
    args: ["--no-sandbox", "--disable-gpu"],
  });
}
