import { describe, expect, it } from 'vitest';

import { chooseStep, inSteps, stepsText } from './steps';

describe('step selection', () => {
  it('chooses one step with a plain click, and clears it with a second', () => {
    const one = chooseStep(new Set(), 2, false);
    expect([...one]).toEqual([2]);
    expect([...chooseStep(one, 4, false)]).toEqual([4]);
    expect([...chooseStep(one, 2, false)]).toEqual([]);
  });

  it('adds and removes steps with Ctrl / Cmd', () => {
    const two = chooseStep(chooseStep(new Set(), 1, true), 3, true);
    expect([...two].sort()).toEqual([1, 3]);
    expect([...chooseStep(two, 1, true)]).toEqual([3]);
    // A plain click among several chooses only that one.
    expect([...chooseStep(two, 1, false)]).toEqual([1]);
  });

  it('keeps everything when nothing is chosen, and numbers steps from 1', () => {
    expect(inSteps(new Set(), null)).toBe(true);
    expect(inSteps(new Set([1]), 1)).toBe(true);
    expect(inSteps(new Set([1]), 0)).toBe(false);
    expect(inSteps(new Set([1]), null)).toBe(false);
    expect(stepsText(new Set([3, 1]))).toBe('steps 2, 4');
    expect(stepsText(new Set([0]))).toBe('step 1');
  });
});
