import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';

import { componentFixture } from '../fixture';
import { settle } from '../settle';
import type { Settings, SettingsAnswer, VulnDbStatus } from '../../tauri/ipc';
import { mockCommands, sendToChannel } from '../../tauri/testing';
import { fromForm, toForm, validate } from './settings';
import SettingsView from './SettingsView.svelte';

const SETTINGS: Settings = {
  registryMirrors: ['https://mirror.example.com'],
  registries: [{ host: 'registry.lan:5000', insecure: true, caFile: null }],
  maxConcurrentDownloads: 6,
  defaultPlatform: 'linux/arm64',
  hubUrl: null,
  osvApiUrl: 'http://127.0.0.1:9',
  osvDataUrl: null,
  store: null,
};

const ANSWER: SettingsAnswer = {
  path: '/home/me/.config/porthole/config.json',
  settings: SETTINGS,
  overriddenBy: [],
  store: {
    inUse: '/home/me/.local/share/porthole/store',
    inUseOrigin: 'default',
    next: '/home/me/.local/share/porthole/store',
    nextOrigin: 'default',
  },
};

const AVAILABLE = ['Debian', 'Ubuntu', 'Alpine', 'PyPI', 'npm', 'Go', 'crates.io', 'Maven', 'RubyGems', 'Packagist'];

const EMPTY_DB: VulnDbStatus = {
  path: '/store/porthole-vulndb/osv.sqlite',
  present: false,
  updatedAt: null,
  records: 0,
  ecosystems: [],
  available: AVAILABLE,
};

const dom = componentFixture();
const { byTestId, allByTestId } = dom;


function type(id: string, text: string, index = 0): void {
  const input = allByTestId(id)[index] as HTMLInputElement | HTMLTextAreaElement;
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

async function submit(): Promise<void> {
  (byTestId('settings-form') as HTMLFormElement).dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  await settle();
}

describe('settings form', () => {
  it('round-trips the settings and trims blanks away', () => {
    expect(fromForm(toForm(SETTINGS))).toEqual(SETTINGS);
    const form = toForm(SETTINGS);
    form.mirrors = ' https://a.example \n\n b.example ';
    form.hubUrl = '   ';
    form.registries.push({ host: '  ', insecure: false, caFile: '' });
    expect(fromForm(form)).toMatchObject({ registryMirrors: ['https://a.example', 'b.example'], hubUrl: null });
    expect(fromForm(form).registries).toHaveLength(1);
  });

  it('names each field that is wrong', () => {
    const form = toForm(SETTINGS);
    expect(validate(form)).toEqual({});
    form.mirrors = 'ftp://mirror';
    form.maxConcurrentDownloads = '0';
    form.defaultPlatform = 'amd64';
    form.osvDataUrl = 'not a url';
    form.registries = [
      { host: 'https://registry.lan', insecure: false, caFile: 'relative.pem' },
      { host: 'r.lan', insecure: false, caFile: '' },
      { host: 'r.lan', insecure: false, caFile: '' },
    ];
    expect(Object.keys(validate(form)).sort()).toEqual(
      [
        'defaultPlatform',
        'maxConcurrentDownloads',
        'mirrors',
        'osvDataUrl',
        'registries.0.caFile',
        'registries.0.host',
        'registries.2.host',
      ].sort(),
    );
  });
});

describe('SettingsView', () => {
  it('shows the config file’s settings and saves them', async () => {
    const saved: unknown[] = [];
    mockCommands({
      get_settings: () => ANSWER,
      vulndb_status: () => EMPTY_DB,
      save_settings: (args) => {
        saved.push(args);
        return { ...ANSWER, settings: (args as { settings: Settings }).settings };
      },
    });
    dom.mount(SettingsView);
    await settle();
    expect(byTestId('settings-path')?.textContent).toBe('/home/me/.config/porthole/config.json');
    expect((byTestId('settings-mirrors') as HTMLTextAreaElement).value).toBe('https://mirror.example.com');
    expect((byTestId('settings-registry-host') as HTMLInputElement).value).toBe('registry.lan:5000');
    expect((byTestId('settings-registry-insecure') as HTMLInputElement).checked).toBe(true);
    expect((byTestId('settings-jobs') as HTMLInputElement).value).toBe('6');
    expect((byTestId('settings-platform') as HTMLInputElement).value).toBe('linux/arm64');
    expect((byTestId('settings-osvApiUrl') as HTMLInputElement).value).toBe('http://127.0.0.1:9');

    (byTestId('settings-add-registry') as HTMLButtonElement).click();
    flushSync();
    type('settings-registry-host', 'registry.corp', 1);
    type('settings-registry-ca', '/etc/ssl/corp.pem', 1);
    type('settings-osvDataUrl', 'http://127.0.0.1:8000');
    await submit();
    expect(saved).toEqual([
      {
        settings: {
          ...SETTINGS,
          registries: [
            { host: 'registry.lan:5000', insecure: true, caFile: null },
            { host: 'registry.corp', insecure: false, caFile: '/etc/ssl/corp.pem' },
          ],
          osvDataUrl: 'http://127.0.0.1:8000',
        },
      },
    ]);
    expect(byTestId('settings-saved')).not.toBeNull();
  });

  it('does not save a form with mistakes, and marks them', async () => {
    let saves = 0;
    mockCommands({
      get_settings: () => ANSWER,
      vulndb_status: () => EMPTY_DB,
      save_settings: () => {
        saves += 1;
        return ANSWER;
      },
    });
    dom.mount(SettingsView);
    await settle();
    type('settings-jobs', '500');
    // Nothing is marked before the first save.
    expect(byTestId('settings-invalid')).toBeNull();
    await submit();
    expect(saves).toBe(0);
    expect(byTestId('settings-invalid')?.textContent).toBe('A whole number from 1 to 32');
    expect(byTestId('settings-jobs')?.getAttribute('aria-invalid')).toBe('true');
    expect(byTestId('settings-save-error')?.textContent).toContain('need fixing');
  });

  it('shows what the Rust side refused', async () => {
    mockCommands({
      get_settings: () => ANSWER,
      vulndb_status: () => EMPTY_DB,
      save_settings: () => {
        throw { code: 'invalidInput', message: 'the CA file of registry `registry.corp`, /etc/ssl/corp.pem, does not exist' };
      },
    });
    dom.mount(SettingsView);
    await settle();
    await submit();
    expect(byTestId('settings-save-error')?.textContent).toContain('/etc/ssl/corp.pem, does not exist');
  });

  it('updates the offline database with live progress', async () => {
    let channel: unknown;
    let finish: (s: VulnDbStatus) => void = () => {};
    let asked: unknown;
    mockCommands({
      get_settings: () => ANSWER,
      vulndb_status: () => EMPTY_DB,
      update_vulndb: (args) => {
        asked = args;
        channel = (args as { onEvent: unknown }).onEvent;
        return new Promise<VulnDbStatus>((resolve) => (finish = resolve));
      },
      cancel_vulndb_update: () => null,
    });
    dom.mount(SettingsView);
    await settle();
    expect(byTestId('vulndb-status')?.textContent).toContain('Not imported yet');
    expect(allByTestId('vulndb-choose').map((e) => e.getAttribute('data-ecosystem'))).toEqual(AVAILABLE);
    expect((byTestId('vulndb-update') as HTMLButtonElement).disabled).toBe(true);
    (dom.target.querySelector('[data-ecosystem="Debian"]') as HTMLInputElement).click();
    flushSync();
    (byTestId('vulndb-update') as HTMLButtonElement).click();
    await settle();
    expect(asked).toMatchObject({ ecosystems: ['Debian'] });
    expect(byTestId('vulndb-cancel')).not.toBeNull();
    sendToChannel(channel, { event: 'downloading', ecosystem: 'Debian', url: 'http://127.0.0.1:8000/Debian/all.zip' });
    sendToChannel(channel, { event: 'downloaded', ecosystem: 'Debian', bytes: 2_500_000 });
    sendToChannel(channel, { event: 'imported', ecosystem: 'Debian', records: 1234, skipped: 0 });
    await settle();
    expect(allByTestId('vulndb-progress')[0]?.textContent).toContain('Debian: downloaded 2.5 MB');
    expect(byTestId('vulndb-progress')?.textContent).toContain('Debian: imported 1,234 advisories');
    finish({
      ...EMPTY_DB,
      present: true,
      updatedAt: '2025-06-01T10:00:00Z',
      records: 1234,
      ecosystems: [{ ecosystem: 'Debian', importedAt: '2025-06-01T10:00:00Z', records: 1234, url: 'http://127.0.0.1:8000/Debian/all.zip' }],
    });
    await settle();
    expect(byTestId('vulndb-done')).not.toBeNull();
    expect(byTestId('vulndb-status')?.textContent).toContain('1,234 advisories');
    expect(byTestId('vulndb-ecosystem')?.textContent).toContain('Debian');
  });

  it('says a cancelled update left the database as it was', async () => {
    let fail: (e: unknown) => void = () => {};
    let cancels = 0;
    mockCommands({
      get_settings: () => ANSWER,
      vulndb_status: () => EMPTY_DB,
      update_vulndb: () => new Promise((_, reject) => (fail = reject)),
      cancel_vulndb_update: () => {
        cancels += 1;
        fail({ code: 'cancelled', message: 'cancelled' });
      },
    });
    dom.mount(SettingsView);
    await settle();
    (dom.target.querySelector('[data-ecosystem="PyPI"]') as HTMLInputElement).click();
    flushSync();
    (byTestId('vulndb-update') as HTMLButtonElement).click();
    await settle();
    (byTestId('vulndb-cancel') as HTMLButtonElement).click();
    await settle();
    expect(cancels).toBe(1);
    expect(byTestId('vulndb-error')?.textContent).toContain('Cancelled; the database was left as it was.');
  });
});

describe('store location', () => {
  it('says where the images are, what chose it, and checks a new location', async () => {
    const saved: Settings[] = [];
    mockCommands({
      get_settings: () => ({
        ...ANSWER,
        store: { inUse: '/env/store', inUseOrigin: 'environment', next: '/env/store', nextOrigin: 'environment' },
      }),
      vulndb_status: () => EMPTY_DB,
      save_settings: (args) => {
        const settings = (args as { settings: Settings }).settings;
        saved.push(settings);
        return {
          ...ANSWER,
          settings,
          store: { inUse: '/home/me/.local/share/porthole/store', inUseOrigin: 'default', next: '/srv/images', nextOrigin: 'settings' },
        };
      },
    });
    dom.mount(SettingsView);
    await settle();
    const now = byTestId('settings-store-now')?.textContent ?? '';
    expect(now).toContain('/env/store');
    expect(now).toContain('from $PORTHOLE_STORE — the environment wins over this setting');
    expect(now).not.toContain('After Porthole restarts');

    type('settings-store', 'images/here');
    await submit();
    expect(saved).toEqual([]);
    expect(byTestId('settings-invalid')?.textContent).toBe('An absolute path, like /home/me/porthole-store');
    expect(byTestId('settings-store')?.getAttribute('aria-invalid')).toBe('true');

    type('settings-store', ' /srv/images ');
    await submit();
    expect(saved[0]?.store).toBe('/srv/images');
    const after = byTestId('settings-store-now')?.textContent ?? '';
    expect(after).toContain('After Porthole restarts');
    expect(after).toContain('/srv/images');
    expect(after).toContain('not moved');
  });

  it('accepts only absolute paths', () => {
    const form = toForm(SETTINGS);
    for (const good of ['', '/srv/x', 'C:\\Users\\me\\store', 'D:/store', '\\\\nas\\share']) {
      form.store = good;
      expect(validate(form), good).toEqual({});
    }
    for (const bad of ['store', './store', '~/store', 'C:store']) {
      form.store = bad;
      expect(Object.keys(validate(form)), bad).toEqual(['store']);
    }
  });
});

describe('sign-in', () => {
  it('lists Docker Hub first, then each saved registry, with who is signed in', async () => {
    const asked: unknown[] = [];
    mockCommands({
      get_settings: () => ANSWER,
      vulndb_status: () => EMPTY_DB,
      registry_sign_in_status: (args) => {
        const { registry } = args as { registry: string | null };
        asked.push(registry);
        return registry === null
          ? { registry: 'docker.io', username: null, source: null, problem: null }
          : { registry, username: 'alice', source: '/home/me/.docker/config.json', problem: null };
      },
      registry_sign_out: (args) => ({ registry: (args as { registry: string }).registry, username: null, source: null, problem: null }),
    });
    dom.mount(SettingsView);
    await settle();
    expect(asked).toEqual([null, 'registry.lan:5000']);
    const rows = allByTestId('sign-in-row');
    expect(rows.map((r) => r.getAttribute('data-registry'))).toEqual(['docker.io', 'registry.lan:5000']);
    expect(rows[0]?.textContent).toContain('Not signed in');
    expect(rows[0]?.querySelector('[data-testid="sign-in"]')?.textContent).toContain('Sign in…');
    expect(rows[1]?.textContent).toContain('Signed in as alice');
    (rows[1]?.querySelector('[data-testid="sign-out"]') as HTMLButtonElement).click();
    await settle();
    expect(allByTestId('sign-in-row')[1]?.textContent).toContain('Not signed in');
    expect(byTestId('sign-in-note')?.textContent).toBe('Signed out.');
  });
});
