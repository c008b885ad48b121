import { describe, expect, it } from "vitest";
import { alertVars, cheermoteUrl, cheerText, parseAlertSettings, renderTemplate, styleOf } from "./alert_settings";
import type { Item } from "./stream_state";

const item = (data: Record<string, unknown>): Item => ({ id: "a", type: "alert", layer: "foreground", priority: 80, started_at: "", data });

describe("alert settings", () => {
  it("drops cheermotes from a cheer's words", () => {
    expect(cheerText("Cheer100 great stream", 100)).toBe("great stream");
    // Channel cheermotes count when the tokens add up to the bits.
    expect(cheerText("avalon50 Cheer50 hi", 100)).toBe("hi");
    // Otherwise a word-number token is the viewer's own text (only Cheer<n> goes).
    expect(cheerText("route66 Cheer1 trip", 1)).toBe("route66 trip");
    expect(cheerText(undefined, 5)).toBe("");
  });

  it("draws a cheer with its first cheermote's tier image", () => {
    expect(cheermoteUrl("Cheer100 great stream", 100)).toBe("/cheermotes/Cheer/100");
    expect(cheermoteUrl("avalon50 Cheer50 hi", 100)).toBe("/cheermotes/avalon/100");
    // No cheermote in the text (a test alert, an anonymous cheer): the global one.
    expect(cheermoteUrl("route66 trip", 1)).toBe("/cheermotes/Cheer/1");
    expect(cheermoteUrl(undefined, "oops")).toBe("/cheermotes/Cheer/0");
  });

  it("fills templates and leaves out parts whose variables are all empty", () => {
    const vars = { user: "Ann", amount: "1,000", message: "" };
    expect(renderTemplate("{amount} bits · {message}", vars)).toBe("1,000 bits");
    expect(renderTemplate("{user} cheered {amount}!", vars)).toBe("Ann cheered 1,000!");
    expect(renderTemplate("Welcome · to the stream", vars)).toBe("Welcome · to the stream");
    expect(renderTemplate("{nope}", vars)).toBe("");
  });

  it("reads each alert kind's variables from its data", () => {
    expect(alertVars(item({ type: "channel.cheer", user_name: "Bo", bits: 1500, message: "Cheer1500 gg" }))).toMatchObject({
      user: "Bo",
      amount: "1,500",
      message: "gg",
    });
    expect(alertVars(item({ type: "channel.raid", user_name: "Cy", viewers: 42 })).amount).toBe("42");
    expect(alertVars(item({ latest_subscriber: "Di", latest_tier: "2000", latest_months: 7 }))).toMatchObject({
      user: "Di",
      tier: "Tier 2",
      months: "7",
    });
    expect(alertVars(item({ type: "checkpoint_clear", checkpoint_name: "Brock" })).reward).toBe("Brock");
  });

  it("parses what the hub pushes, keeping only sane values", () => {
    const s = parseAlertSettings({
      types: {
        cheer: { enabled: true, kicker: "Cheer", title: "{user}", detail: "", accent: "#ff9f43", image: "0123456789abcdef.png", volume: 3 },
        raid: { accent: "red", image: "../x.png" },
        bad: 5,
      },
      styles: ["cheer", "raid"],
    })!;
    expect(s.types.cheer.accent).toBe("#ff9f43");
    expect(s.types.cheer.volume).toBe(1);
    expect(s.types.raid.accent).toBeNull();
    expect(s.types.raid.image).toBeNull();
    expect(s.types.bad).toBeUndefined();
    expect(styleOf(s, item({ style: "cheer" }))?.kicker).toBe("Cheer");
    expect(styleOf(s, item({}))).toBeNull();
    expect(parseAlertSettings(null)).toBeNull();
  });
});

describe("previews", () => {
  it("makes the item each style's alert would be, with the sample's values", async () => {
    const { sampleItem } = await import("./alert_settings");
    const s = { user: "Tess", amount: 250, message: "gg" };
    const cheer = sampleItem("cheer", s);
    expect(cheer.layer).toBe("foreground");
    expect(alertVars(cheer)).toMatchObject({ user: "Tess", amount: "250", message: "gg" });
    expect(sampleItem("resub", s).layer).toBe("midground");
    expect(alertVars(sampleItem("resub", s)).months).toBe("250");
    expect(alertVars(sampleItem("checkpoint", s)).reward).toBe("gg");
    expect(renderTemplate("{amount} bits · {message}", alertVars(cheer))).toBe("250 bits · gg");
  });
});
