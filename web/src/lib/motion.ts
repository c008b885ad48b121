// The layer orchestrator's motion in GSAP (durations and eases of the original overlays). Every tween
// starts from the element's current values, so an interrupted enter or a re-shown exit
// carries on from where it is: no snapping back to a base pose, no double fade.
import gsap from "gsap";
import type { Animator, Layer, LayerElement, Running } from "./orchestrator";

export interface Durations {
  enter: number;
  exit: number;
  interrupt: number;
  resume: number;
}

/** Seconds, as the original omnibar moved. */
export const DURATIONS: Durations = { enter: 0.4, exit: 0.3, interrupt: 0.2, resume: 0.4 };

const HIDDEN = { opacity: 0, y: 20, scale: 0.95 };
const SHOWN = { opacity: 1, y: 0, scale: 1 };
/**
 * A layer under an alert: dimmed in place (foreground is never covered). Each layer
 * has its own zone (lib/zones.ts), so nothing is pushed out of it: the original
 * pushed layers down, which here would run the sub train into the bar.
 */
const COVERED: Record<Layer, gsap.TweenVars> = {
  foreground: SHOWN,
  midground: { opacity: 0.7, y: 0, scale: 0.98 },
  background: { opacity: 0.6, y: 0, scale: 1 },
};

export function gsapAnimator(d: Durations = DURATIONS): Animator {
  const tween = (el: LayerElement, vars: gsap.TweenVars, done: () => void): Running =>
    gsap.to(el as Element, { ...vars, overwrite: true, onComplete: done });
  return {
    place: (el) => void gsap.set(el as Element, HIDDEN),
    enter: (el, _l, done) => tween(el, { ...SHOWN, duration: d.enter, ease: "power2.out" }, done),
    exit: (el, _l, done) =>
      tween(el, { opacity: 0, y: -20, scale: 0.95, duration: d.exit, ease: "power2.in" }, () => {
        gsap.set(el as Element, HIDDEN); // the next enter rises from below again
        done();
      }),
    interrupt: (el, layer, done) =>
      tween(el, { ...COVERED[layer], duration: d.interrupt, ease: "power2.out" }, done),
    resume: (el, _l, done) => tween(el, { ...SHOWN, duration: d.resume, ease: "power2.out" }, done),
  };
}

/** Tweens alive right now, for the soak test's leak bound. */
export function liveTweens(): number {
  return gsap.globalTimeline.getChildren(true, true, false).length;
}

/** A short swap when a visible layer's content changes (a new alert after the last). */
export function swapIn(el: Element): Running {
  return gsap.fromTo(
    el,
    { opacity: 0, y: 12 },
    { opacity: 1, y: 0, duration: 0.25, ease: "power2.out", overwrite: true },
  );
}
