// The layer orchestrator: three layers of an overlay,
// foreground > midground > background, each hidden → entering → active →
// interrupted → exiting.
//
// The rules, stated once (a layer is "wanted" after show() and until hide()):
// - While the foreground (an alert) is wanted, every wanted layer under it is
//   `interrupted` (pushed down and dimmed); otherwise a wanted layer enters (from
//   hidden or exiting) and becomes `active`, or resumes to `active` (from
//   interrupted). The midground (the sub train, in its own zone beside the alert)
//   covers nothing: a five-minute train must not leave the bar dimmed.
// - A layer that is not wanted exits and becomes `hidden`.
// Unlike the reference, nothing snaps back to a base pose: the animator tweens from
// the element's current values, so an interrupted enter or a re-shown exit continues
// smoothly (no double fade). A layer shown again while exiting comes back in.
//
// State changes before an element is registered are kept; registering plays the
// current state. Every animation is tracked per layer and killed before the next
// one, on unregister and on dispose; a completion from a killed animation is ignored.

export const LAYERS = ["foreground", "midground", "background"] as const;
export type Layer = (typeof LAYERS)[number];
export type LayerState = "hidden" | "entering" | "active" | "interrupted" | "exiting";

/** What an element must offer: the state is mirrored to `data-state`. */
export interface LayerElement {
  setAttribute(name: string, value: string): void;
}

/** A running animation; `kill` stops it where it is (no jump). */
export interface Running {
  kill(): void;
}

/** The motion, kept apart so the rules can be tested without a browser (GSAP in pages). */
export interface Animator {
  /** Put a freshly registered element in the hidden pose, without animating. */
  place(el: LayerElement, layer: Layer): void;
  enter(el: LayerElement, layer: Layer, done: () => void): Running;
  exit(el: LayerElement, layer: Layer, done: () => void): Running;
  interrupt(el: LayerElement, layer: Layer, done: () => void): Running;
  resume(el: LayerElement, layer: Layer, done: () => void): Running;
}

interface Slot {
  state: LayerState;
  wanted: boolean;
  el: LayerElement | null;
  running: Running | null;
  /** Bumped on every transition; a completion carrying an older value is stale. */
  generation: number;
}

export class Orchestrator {
  private slots = new Map<Layer, Slot>();
  private listeners = new Set<(layer: Layer, state: LayerState) => void>();
  private disposed = false;

  constructor(private animator: Animator) {
    for (const l of LAYERS) {
      this.slots.set(l, { state: "hidden", wanted: false, el: null, running: null, generation: 0 });
    }
  }

  state(layer: Layer): LayerState {
    return this.slot(layer).state;
  }

  /** On screen or on its way: entering, active or interrupted. */
  visible(layer: Layer): boolean {
    const s = this.state(layer);
    return s === "entering" || s === "active" || s === "interrupted";
  }

  onChange(fn: (layer: Layer, state: LayerState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  show(layer: Layer) {
    if (this.disposed) return;
    this.slot(layer).wanted = true;
    this.settle();
  }

  hide(layer: Layer) {
    if (this.disposed) return;
    this.slot(layer).wanted = false;
    this.settle();
  }

  /** Attach the element; the current state (set before it mounted) is played on it. */
  register(layer: Layer, el: LayerElement | null) {
    if (this.disposed || !el) return;
    const s = this.slot(layer);
    this.stop(s);
    s.el = el;
    this.animator.place(el, layer);
    el.setAttribute("data-state", s.state);
    this.animate(layer, s);
  }

  /** Detach: the layer is hidden and forgets whether it was wanted. */
  unregister(layer: Layer) {
    const s = this.slot(layer);
    this.stop(s);
    s.el = null;
    s.wanted = false;
    if (s.state !== "hidden") this.set(layer, s, "hidden");
    this.settle();
  }

  /** Kill every animation and stop reacting. */
  dispose() {
    for (const s of this.slots.values()) {
      this.stop(s);
      s.el = null;
    }
    this.listeners.clear();
    this.disposed = true;
  }

  /** Animations currently running (for leak checks). */
  runningCount(): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.running) n++;
    return n;
  }

  private slot(layer: Layer): Slot {
    const s = this.slots.get(layer);
    if (!s) throw new Error(`unknown layer ${layer}`);
    return s;
  }

  /** Bring every layer to what the rules say, top to bottom. */
  private settle() {
    let covered = false;
    for (const layer of LAYERS) {
      const s = this.slot(layer);
      let next: LayerState;
      if (!s.wanted) {
        next = s.state === "hidden" ? "hidden" : "exiting";
      } else if (covered) {
        next = "interrupted";
      } else if (s.state === "interrupted") {
        next = "active";
      } else if (s.state === "hidden" || s.state === "exiting") {
        next = "entering";
      } else {
        next = s.state; // entering or active: carry on
      }
      if (next !== s.state) this.transition(layer, s, next);
      if (s.wanted && layer === "foreground") covered = true;
    }
  }

  private transition(layer: Layer, s: Slot, next: LayerState) {
    this.stop(s);
    this.set(layer, s, next);
    this.animate(layer, s);
  }

  private set(layer: Layer, s: Slot, state: LayerState) {
    s.state = state;
    s.generation++;
    s.el?.setAttribute("data-state", state);
    for (const fn of this.listeners) fn(layer, state);
  }

  private stop(s: Slot) {
    s.running?.kill();
    s.running = null;
  }

  /** Start the motion for the slot's state (if its element is mounted). */
  private animate(layer: Layer, s: Slot) {
    const el = s.el;
    if (!el) return; // kept: register() plays it
    const gen = s.generation;
    const finish = (state: LayerState | null) => () => {
      if (this.disposed || s.generation !== gen) return; // killed or superseded
      s.running = null;
      if (state) this.set(layer, s, state);
    };
    switch (s.state) {
      case "entering":
        s.running = this.animator.enter(el, layer, finish("active"));
        break;
      case "exiting":
        s.running = this.animator.exit(el, layer, finish("hidden"));
        break;
      case "interrupted":
        s.running = this.animator.interrupt(el, layer, finish(null));
        break;
      case "active":
        s.running = this.animator.resume(el, layer, finish(null));
        break;
      case "hidden":
        break;
    }
  }
}
