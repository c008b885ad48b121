// Shrink a one-line text until it fits its box, before anything is cut: a long name
// gets smaller, not an ellipsis. Only below `min` does the CSS ellipsis take over.

/** Largest size from `max` down to `min` (2 px steps) at which `el` does not overflow. */
export function fitText(el: HTMLElement, max: number, min: number): number {
  let size = max;
  el.style.fontSize = `${size}px`;
  while (size > min && el.scrollWidth > el.clientWidth) {
    size = Math.max(min, size - 2);
    el.style.fontSize = `${size}px`;
  }
  el.dataset.fittedSize = String(size);
  return size;
}

/** Fit now, and again once the bundled fonts have loaded (their widths differ). */
export function fitWhenReady(el: HTMLElement, max: number, min: number) {
  fitText(el, max, min);
  void document.fonts?.ready.then(() => el.isConnected && fitText(el, max, min));
}
