import { describe, expect, it } from "vitest";
import { madeBy, mergeContexts, sourceCounts, type Context } from "./context";

const ctx = (started: string, key?: string): Context => ({ started, ended: started, idempotency_key: key });

describe("stream context", () => {
  it("says who made an analysis", () => {
    expect(madeBy({ analysis: "llm", analysis_source: { llm: { model: "qwen" } } })).toBe("summed up by qwen");
    expect(madeBy({ analysis: "deterministic", analysis_source: { deterministic: { reason: "no LLM configured" } } })).toBe(
      "seed's own count (no LLM configured)",
    );
  });

  it("counts sources in words", () => {
    expect(sourceCounts({ ...ctx("a"), sources: { transcriptions: [{ seq: 1 }], chat: [{}, {}], events: [] } })).toBe(
      "1 line, 2 chat messages, 0 events",
    );
  });

  it("merges newest first, once each, capped", () => {
    const have = [ctx("2026-01-01T00:02:00Z", "b"), ctx("2026-01-01T00:00:00Z", "a")];
    const merged = mergeContexts(have, [ctx("2026-01-01T00:04:00Z", "c"), ctx("2026-01-01T00:02:00Z", "b")], 2);
    expect(merged.map((c) => c.idempotency_key)).toEqual(["c", "b"]);
  });
});
