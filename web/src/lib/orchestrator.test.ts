import { describe, expect, it } from "vitest";
import { Animator, Layer, LayerElement, Orchestrator, Running } from "./orchestrator";

/** An animator that records what it was asked and lets the test finish animations. */
class FakeAnimator implements Animator {
  log: string[] = [];
  live = new Map<string, { done: () => void; killed: boolean }>();
  private n = 0;

  private run(kind: string, layer: Layer, done: () => void): Running {
    const id = `${kind}:${layer}:${this.n++}`;
    const entry = { done, killed: false };
    this.live.set(id, entry);
    this.log.push(`${kind} ${layer}`);
    return {
      kill: () => {
        entry.killed = true;
        this.live.delete(id);
      },
    };
  }
  place(_el: LayerElement, layer: Layer) {
    this.log.push(`place ${layer}`);
  }
  enter(_el: LayerElement, layer: Layer, done: () => void) {
    return this.run("enter", layer, done);
  }
  exit(_el: LayerElement, layer: Layer, done: () => void) {
    return this.run("exit", layer, done);
  }
  interrupt(_el: LayerElement, layer: Layer, done: () => void) {
    return this.run("interrupt", layer, done);
  }
  resume(_el: LayerElement, layer: Layer, done: () => void) {
    return this.run("resume", layer, done);
  }
  /** Complete every running animation of `kind` on `layer`. */
  finish(kind: string, layer: Layer) {
    for (const [id, e] of [...this.live]) {
      if (id.startsWith(`${kind}:${layer}:`)) {
        this.live.delete(id);
        e.done();
      }
    }
  }
}

class FakeEl implements LayerElement {
  attrs: Record<string, string> = {};
  setAttribute(name: string, value: string) {
    this.attrs[name] = value;
  }
}

function setup() {
  const anim = new FakeAnimator();
  const o = new Orchestrator(anim);
  const els = { foreground: new FakeEl(), midground: new FakeEl(), background: new FakeEl() };
  for (const l of ["foreground", "midground", "background"] as Layer[]) o.register(l, els[l]);
  anim.log = [];
  return { anim, o, els };
}

describe("layer orchestrator", () => {
  it("starts hidden and mirrors state to data-state", () => {
    const { o, els } = setup();
    expect(o.state("foreground")).toBe("hidden");
    expect(o.visible("foreground")).toBe(false);
    expect(els.foreground.attrs["data-state"]).toBe("hidden");
  });

  it("enters, becomes active on completion, exits and becomes hidden", () => {
    const { o, anim, els } = setup();
    o.show("background");
    expect(o.state("background")).toBe("entering");
    expect(els.background.attrs["data-state"]).toBe("entering");
    anim.finish("enter", "background");
    expect(o.state("background")).toBe("active");
    o.hide("background");
    expect(o.state("background")).toBe("exiting");
    expect(o.visible("background")).toBe(false);
    anim.finish("exit", "background");
    expect(o.state("background")).toBe("hidden");
    expect(anim.log).toEqual(["enter background", "exit background"]);
  });

  it("an alert interrupts the layers under it; leaving, it restores them", () => {
    const { o, anim } = setup();
    o.show("background");
    o.show("midground");
    // The sub train sits beside the alert zone and dims nothing.
    expect(o.state("background")).toBe("entering");
    expect(o.state("midground")).toBe("entering");
    anim.finish("enter", "background");
    o.show("foreground");
    expect(o.state("midground")).toBe("interrupted");
    expect(o.state("background")).toBe("interrupted");
    o.hide("foreground");
    // Restored at once, when the exit starts.
    expect(o.state("foreground")).toBe("exiting");
    expect(o.state("midground")).toBe("active");
    expect(o.state("background")).toBe("active");
    o.hide("midground");
    expect(o.state("background")).toBe("active");
    expect(anim.log.filter((l) => l.startsWith("resume"))).toEqual(["resume midground", "resume background"]);
  });

  it("showing an interrupted layer again does not un-cover it (no blink)", () => {
    const { o, anim } = setup();
    o.show("background");
    o.show("foreground");
    const before = anim.log.length;
    // What an overlay does on every state push: show every layer that has content.
    o.show("foreground");
    o.show("midground");
    o.show("background");
    expect(o.state("background")).toBe("interrupted");
    expect(o.state("midground")).toBe("interrupted");
    expect(anim.log.slice(before)).toEqual(["interrupt midground"]);
  });

  it("a lower layer shown under a visible one comes in interrupted", () => {
    const { o } = setup();
    o.show("foreground");
    o.show("background");
    expect(o.state("background")).toBe("interrupted");
  });

  it("shown again while exiting, a layer comes back in from where it is", () => {
    const { o, anim } = setup();
    o.show("foreground");
    anim.finish("enter", "foreground");
    o.hide("foreground");
    o.show("foreground");
    expect(o.state("foreground")).toBe("entering");
    // The exit was killed, so its completion can never hide the layer.
    anim.finish("exit", "foreground");
    expect(o.state("foreground")).toBe("entering");
    anim.finish("enter", "foreground");
    expect(o.state("foreground")).toBe("active");
  });

  it("a stale completion is ignored", () => {
    const anim = new FakeAnimator();
    const o = new Orchestrator(anim);
    const el = new FakeEl();
    o.register("foreground", el);
    o.show("foreground");
    const [[, first]] = [...anim.live];
    o.hide("foreground");
    first.done(); // the killed enter's callback, late
    expect(o.state("foreground")).toBe("exiting");
  });

  it("keeps state set before the element mounts and plays it on register", () => {
    const anim = new FakeAnimator();
    const o = new Orchestrator(anim);
    o.show("midground");
    o.show("midground");
    expect(o.state("midground")).toBe("entering");
    expect(anim.log).toEqual([]);
    const el = new FakeEl();
    o.register("midground", el);
    expect(el.attrs["data-state"]).toBe("entering");
    expect(anim.log).toEqual(["place midground", "enter midground"]);
    anim.finish("enter", "midground");
    expect(o.state("midground")).toBe("active");
  });

  it("ignores a null element; registering twice replaces the element", () => {
    const anim = new FakeAnimator();
    const o = new Orchestrator(anim);
    o.register("foreground", null);
    o.show("foreground");
    expect(anim.log).toEqual([]);
    const a = new FakeEl();
    const b = new FakeEl();
    o.register("foreground", a);
    o.register("foreground", b);
    expect(b.attrs["data-state"]).toBe("entering");
    expect(anim.live.size).toBe(1);
  });

  it("unregister hides the layer, kills its animation and restores the one below", () => {
    const { o, anim } = setup();
    o.show("background");
    o.show("foreground");
    o.unregister("foreground");
    expect(o.state("foreground")).toBe("hidden");
    expect(o.state("background")).toBe("active");
    expect([...anim.live.keys()].some((k) => k.includes("foreground"))).toBe(false);
  });

  it("hiding a hidden layer does nothing", () => {
    const { o, anim } = setup();
    o.hide("midground");
    expect(o.state("midground")).toBe("hidden");
    expect(anim.log).toEqual([]);
  });

  it("never leaks animations across thousands of alerts and disposes cleanly", () => {
    const { o, anim } = setup();
    const changes: string[] = [];
    o.onChange((l, s) => changes.push(`${l}:${s}`));
    o.show("background");
    for (let i = 0; i < 5000; i++) {
      o.show("foreground");
      if (i % 3 === 0) anim.finish("enter", "foreground");
      if (i % 7 === 0) o.show("midground");
      o.hide("foreground");
      if (i % 2 === 0) anim.finish("exit", "foreground");
      if (i % 11 === 0) o.hide("midground");
      expect(o.runningCount()).toBeLessThanOrEqual(3);
      expect(anim.live.size).toBe(o.runningCount());
    }
    expect(changes.length).toBeGreaterThan(10_000);
    o.dispose();
    expect(anim.live.size).toBe(0);
    o.show("foreground");
    expect(o.state("foreground")).not.toBe("entering");
  });
});
