import { mount, unmount, type Component, type MountOptions } from 'svelte';
import { afterEach, beforeEach } from 'vitest';

import { clearMocks } from '../tauri/testing';

/** A component test's page: a fresh element in the document for each test, and ways to mount
 *  into it and to find what it shows by `data-testid`. */
export interface ComponentFixture {
  /** The element this test mounts into (a new one for each test). */
  readonly target: HTMLElement;
  /** Mounts the component into `target`; the fixture unmounts it after the test. */
  mount<Props extends Record<string, any>>(
    component: Component<Props, any, any>,
    ...props: {} extends Props ? [props?: Props] : [props: Props]
  ): void;
  /** Unmounts what `mount` mounted last, before the test ends. */
  unmount(): void;
  byTestId(id: string): Element | null;
  allByTestId(id: string): Element[];
}

/** For component tests (call once, at the top of the file): before each test a new element is
 *  added to the document; after it the mounted component is unmounted, the element removed and
 *  the faked commands (`mockCommands`) cleared. */
export function componentFixture(): ComponentFixture {
  let target: HTMLElement | undefined;
  let component: ReturnType<typeof mount> | undefined;

  const current = (): HTMLElement => {
    if (!target) throw new Error('componentFixture: the target exists only while a test runs');
    return target;
  };
  const unmountCurrent = (): void => {
    if (component) unmount(component);
    component = undefined;
  };

  beforeEach(() => {
    target = document.createElement('div');
    document.body.append(target);
  });

  afterEach(() => {
    unmountCurrent();
    target?.remove();
    target = undefined;
    clearMocks();
  });

  return {
    get target() {
      return current();
    },
    mount<Props extends Record<string, any>>(
      view: Component<Props, any, any>,
      ...[props]: {} extends Props ? [props?: Props] : [props: Props]
    ) {
      component = mount(view, { target: current(), props } as MountOptions<Props>);
    },
    unmount: unmountCurrent,
    byTestId: (id) => current().querySelector(`[data-testid="${id}"]`),
    allByTestId: (id) => [...current().querySelectorAll(`[data-testid="${id}"]`)],
  };
}
