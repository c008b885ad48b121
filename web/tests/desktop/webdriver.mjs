// A small W3C WebDriver client for the desktop app: tauri-driver in front of Debian's
// WebKitWebDriver, one driver per session so each session gets its own environment
// (the app's settings directory). Only the commands the test uses.

import { spawn } from "node:child_process";
import { freePort, waitPort } from "../e2e/harness.mjs";

const ELEMENT = "element-6066-11e4-a52e-4f735a2d4f5d";

/** Poll `check` (async, returns a truthy value when done) every 100 ms until it is, or
 * fail after `ms` saying `what` was awaited and what `check` last returned. What the
 * test waits on lives in other processes that push nothing to it (the hub's REST
 * state, a WebDriver element, the tray's D-Bus menu, nurvus's view), so the condition
 * itself is read again; the deadline is the only time the test states. */
export async function until(check, ms, what) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start tauri-driver with `env` and open a session on `application`. The app's own
 * log (stderr) is collected in `log`. */
export async function session({ driver, native, application, env }) {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn(driver, ["--port", String(port), "--native-port", String(nativePort), "--native-driver", native], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const log = [];
  const collect = (chunk) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) log.push(line);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once("exit", r));
  };
  // tauri-driver listens at once and starts WebKitWebDriver behind it: both must be up.
  try {
    await waitPort(port, 30_000, "tauri-driver");
    await waitPort(nativePort, 30_000, "WebKitWebDriver");
  } catch (e) {
    await stop();
    throw e;
  }
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const v = await r.json();
    if (v.value && v.value.error) throw new Error(`${method} ${path}: ${v.value.error}: ${v.value.message}`);
    return v.value;
  };
  let created;
  try {
    created = await call("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application } } },
    });
  } catch (e) {
    await stop();
    throw new Error(`no WebDriver session: ${e.message}; driver log: ${log.slice(-10).join(" | ")}`);
  }
  const id = created.sessionId;
  const s = `/session/${id}`;
  // The W3C key; WebKitWebDriver answers with it, some drivers with the legacy `ELEMENT`.
  const find = async (css) => {
    const v = await call("POST", `${s}/element`, { using: "css selector", value: css });
    return v[ELEMENT] ?? v.ELEMENT ?? Object.values(v)[0];
  };
  return {
    log,
    url: () => call("GET", `${s}/url`),
    title: () => call("GET", `${s}/title`),
    find,
    /** The element once it exists. */
    waitFor: (css, ms = 30_000) => until(() => find(css), ms, `an element ${css}`),
    text: async (css) => call("GET", `${s}/element/${await find(css)}/text`),
    type: async (css, text) => {
      const el = await find(css);
      await call("POST", `${s}/element/${el}/clear`, {});
      await call("POST", `${s}/element/${el}/value`, { text });
    },
    click: async (css) => call("POST", `${s}/element/${await find(css)}/click`, {}),
    run: (script, args = []) => call("POST", `${s}/execute/sync`, { script, args }),
    screenshot: async () => Buffer.from(await call("GET", `${s}/screenshot`), "base64"),
    /** End the session and the driver (and with them the app). */
    async quit() {
      await call("DELETE", s).catch(() => {});
      await stop();
    },
  };
}
