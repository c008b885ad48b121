import { describe, expect, it } from "vitest";
import { setupItems } from "./setup";

describe("setup checklist", () => {
  it("says what each missing step needs first", () => {
    const items = setupItems({
      obs: { connected: false, connection_state: "not_configured", last_error: null },
      twitch: { connected: false, status: "not_configured" },
      mayControl: false,
      overlaysAdded: false,
    });
    expect(items.map((i) => i.done)).toEqual([false, false, false, false]);
    expect(items[0].advice).toMatch(/OBS_WEBSOCKET_URL/);
    // The Twitch login needs an application first: the advice says so before the command.
    expect(items[1].advice.indexOf("TWITCH_CLIENT_ID")).toBeLessThan(items[1].advice.indexOf("landale twitch login"));
    expect(items[2].advice).toMatch(/landale token/);
  });

  it("marks what is done and explains the rest", () => {
    const items = setupItems({
      obs: { connected: false, connection_state: "auth_failed", last_error: "bad password" },
      twitch: { connected: true, status: "healthy" },
      mayControl: true,
      overlaysAdded: true,
    });
    expect(items.map((i) => i.done)).toEqual([false, true, true, true]);
    expect(items[0].advice).toMatch(/OBS_WEBSOCKET_PASSWORD/);
    // Before the dashboard has OBS's state: no advice that could be wrong yet.
    expect(setupItems({ obs: { connected: false, connection_state: "unknown", last_error: null }, twitch: null, mayControl: true, overlaysAdded: false })[0].advice).toBe(
      "Asking Landale about OBS…",
    );
    expect(setupItems({ obs: null, twitch: { status: "needs_login" }, mayControl: true, overlaysAdded: false })[1].advice).toMatch(
      /^Run `landale twitch login`/,
    );
  });

  it("gives the hub's own path, so a command works as written", () => {
    const items = setupItems({ obs: null, twitch: { status: "needs_login" }, mayControl: false, overlaysAdded: false, cli: "/opt/landale/landale" });
    expect(items[1].advice).toMatch(/^Run `\/opt\/landale\/landale twitch login`/);
    expect(items[2].advice).toMatch(/`\/opt\/landale\/landale token`/);
    // A path with a space or a backtick would not paste as one word: the plain name then.
    expect(setupItems({ obs: null, twitch: { status: "needs_login" }, mayControl: true, overlaysAdded: false, cli: "/My Apps/landale" })[1].advice).toMatch(/^Run `landale twitch login`/);
  });
});
