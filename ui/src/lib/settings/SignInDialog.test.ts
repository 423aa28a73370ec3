import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import { componentFixture } from '../fixture';
import { settle } from '../settle';
import type { SignInAnswer } from '../../tauri/ipc';
import { mockCommands } from '../../tauri/testing';
import SignInDialog from './SignInDialog.svelte';

const dom = componentFixture();
const { byTestId } = dom;


function type(id: string, text: string): void {
  const input = byTestId(id) as HTMLInputElement;
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

async function submit(): Promise<void> {
  (byTestId('sign-in-submit') as HTMLButtonElement).click();
  await settle();
}

describe('SignInDialog', () => {
  it('sends the credentials once, shows a refusal as text and clears the password', async () => {
    const calls: unknown[] = [];
    let accept = false;
    const signedIn: SignInAnswer[] = [];
    mockCommands({
      registry_sign_in: (args) => {
        calls.push(args);
        if (!accept) throw { code: 'auth', message: '127.0.0.1:5000 refused the credentials for alice: <b>check</b>' };
        return { registry: '127.0.0.1:5000', username: 'alice', helper: null, configFile: '/tmp/docker/config.json' };
      },
    });
    dom.mount(SignInDialog, {
      registry: '127.0.0.1:5000',
      label: '127.0.0.1:5000',
      onClose: () => {},
      onSignedIn: (a: SignInAnswer) => signedIn.push(a),
    });
    await settle();
    expect(byTestId('sign-in-dialog')?.getAttribute('role')).toBe('dialog');
    expect(dom.target.querySelector('h2')?.textContent).toBe('Sign in to 127.0.0.1:5000');
    const password = byTestId('sign-in-password') as HTMLInputElement;
    expect(password.type).toBe('password');
    expect(document.activeElement).toBe(byTestId('sign-in-username'));

    // Nothing is sent without both fields.
    type('sign-in-username', 'alice');
    await submit();
    expect(calls).toEqual([]);
    expect(byTestId('sign-in-error')?.textContent).toContain('Enter the user name and the password');

    type('sign-in-password', 'wrong');
    await submit();
    expect(calls).toEqual([{ registry: '127.0.0.1:5000', username: 'alice', password: 'wrong' }]);
    const error = byTestId('sign-in-error');
    expect(error?.textContent).toBe('127.0.0.1:5000 refused the credentials for alice: <b>check</b>');
    expect(error?.querySelector('b')).toBeNull();
    expect((byTestId('sign-in-password') as HTMLInputElement).value).toBe('');
    expect(signedIn).toEqual([]);

    accept = true;
    type('sign-in-password', 'right');
    await submit();
    expect(calls[1]).toEqual({ registry: '127.0.0.1:5000', username: 'alice', password: 'right' });
    expect((byTestId('sign-in-password') as HTMLInputElement).value).toBe('');
    expect(signedIn.map((a) => a.username)).toEqual(['alice']);
  });

  it('signs in to Docker Hub as registry null and closes on Escape', async () => {
    let closed = 0;
    mockCommands({});
    dom.mount(SignInDialog, { registry: null, label: 'Docker Hub', onClose: () => (closed += 1), onSignedIn: () => {} });
    await settle();
    type('sign-in-password', 'secret');
    byTestId('sign-in-dialog')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await settle();
    expect(closed).toBe(1);
  });
});
