// "Interactive": the Images page shows what the store holds (its rows, its empty state or its
// error), laid out, with nothing left queued before the user's first click is handled.
// Watched from outside the components, by their test ids, so that no view has to know about
// start-up timing. Frame callbacks are not waited for: WebKitGTK does not run them while its
// window is not shown on a real display (under Xvfb they can be late by seconds, or never
// come), which would time the display, not the app.

/** What the Images page shows once its first answer is in. */
export const READY_SELECTOR =
  '[data-testid="image-row"], [data-testid="images-empty"], [data-testid="images-error"]';

/** Calls `report` once, as soon as `selector` first appears under `root` and is laid out. */
export function whenFirstShown(
  report: () => void,
  root: ParentNode & Node = document.body,
  selector: string = READY_SELECTOR,
): () => void {
  let done = false;
  const fire = () => {
    if (done) return;
    done = true;
    observer.disconnect();
    // Lay the page out now, then report once the tasks already queued (the rest of this
    // render) have run.
    void document.body.offsetHeight;
    performance.mark('porthole:interactive');
    setTimeout(report, 0);
  };
  const observer = new MutationObserver(() => {
    if (root.querySelector(selector)) fire();
  });
  observer.observe(root, { childList: true, subtree: true });
  if (root.querySelector(selector)) fire();
  return () => {
    done = true;
    observer.disconnect();
  };
}
