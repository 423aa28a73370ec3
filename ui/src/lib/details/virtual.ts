// Long lists draw only the rows in view: with a fixed row height, the rows to draw follow
// from the scroll position alone. Shared by the Packages tab and the Files tab.

/** Without layout (jsdom) a scroller has no height: draw as if this many pixels were in view. */
export const FALLBACK_VIEWPORT = 720;

/** The rows `[first, last)` of `count` that are in view when the scroller, `viewport` pixels
 *  tall, is scrolled to `scrollTop`, with `overscan` more on each side. */
export function visibleRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  count: number,
  overscan: number,
): { first: number; last: number } {
  const height = viewport > 0 ? viewport : FALLBACK_VIEWPORT;
  const first = Math.max(0, Math.min(count, Math.floor(scrollTop / rowHeight) - overscan));
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}

/** The scroll position that brings row `index` into view (the current one when it already is). */
export function revealTop(index: number, scrollTop: number, viewport: number, rowHeight: number): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (viewport > 0 && top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return scrollTop;
}

/** Calls `onResize` each time `element` changes size (and once when it starts); the answer
 *  stops it, for an `$effect` to return. Without `ResizeObserver` (jsdom) it does nothing,
 *  and `visibleRange` falls back to `FALLBACK_VIEWPORT`. */
export function watchSize(element: Element, onResize: () => void): () => void {
  if (typeof ResizeObserver === 'undefined') return () => {};
  const observer = new ResizeObserver(onResize);
  observer.observe(element);
  return () => observer.disconnect();
}
