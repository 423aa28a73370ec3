// The build steps chosen in the Layers tab, which the Packages and Vulnerabilities tabs then
// narrow to (as Docker Scout does). A selection is a set of step indexes; pure functions.

/** The selection after a click (or Enter / Space) on step `index`. A plain click chooses only
 *  that step, or clears the choice when it was the only one; with Ctrl / Cmd (`add`) it joins
 *  or leaves the selection. */
export function chooseStep(selection: ReadonlySet<number>, index: number, add: boolean): Set<number> {
  if (add) {
    const next = new Set(selection);
    if (next.has(index)) next.delete(index);
    else next.add(index);
    return next;
  }
  return selection.size === 1 && selection.has(index) ? new Set() : new Set([index]);
}

/** Whether something that came from `layer` is shown under the selection (all when empty). */
export const inSteps = (selection: ReadonlySet<number>, layer: number | null): boolean =>
  selection.size === 0 || (layer !== null && selection.has(layer));

/** `step 2` or `steps 2, 4`: the chosen steps as the Layers tab numbers them (from 1). */
export function stepsText(selection: ReadonlySet<number>): string {
  const numbers = [...selection].sort((a, b) => a - b).map((i) => i + 1);
  return `${numbers.length === 1 ? 'step' : 'steps'} ${numbers.join(', ')}`;
}
