import { describe, expect, it } from "vitest";
import { words } from "./words";

describe("streamer words", () => {
  it("names known types as streamers do, and unknown ones readably", () => {
    expect(words("channel.subscription.gift")).toBe("Gift subs");
    expect(words("sub_train")).toBe("Sub train");
    expect(words("technical-difficulties")).toBe("Technical difficulties");
    expect(words("channel.shoutout.create")).toBe("Shoutout create");
    expect(words(undefined)).toBe("");
  });
});
