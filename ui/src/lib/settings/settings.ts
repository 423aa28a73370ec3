// The Settings form's logic, apart from its markup: the settings as editable text, back to
// the IPC type, and the checks that can be made before saving (the Rust side checks again,
// with the engine's own parsing, and its message is shown when it refuses).
import type { RegistryEntry, Settings, StoreOrigin, VulnDbProgress } from '../../tauri/ipc';

export type RegistryForm = { host: string; insecure: boolean; caFile: string };

export type SettingsForm = {
  /** One mirror URL per line. */
  mirrors: string;
  registries: RegistryForm[];
  maxConcurrentDownloads: string;
  defaultPlatform: string;
  hubUrl: string;
  osvApiUrl: string;
  osvDataUrl: string;
  /** The image store directory; blank for the default. */
  store: string;
};

export const MAX_JOBS = 32;

export function toForm(s: Settings): SettingsForm {
  return {
    mirrors: s.registryMirrors.join('\n'),
    registries: s.registries.map((r) => ({ host: r.host, insecure: r.insecure, caFile: r.caFile ?? '' })),
    maxConcurrentDownloads: s.maxConcurrentDownloads === null ? '' : String(s.maxConcurrentDownloads),
    defaultPlatform: s.defaultPlatform ?? '',
    hubUrl: s.hubUrl ?? '',
    osvApiUrl: s.osvApiUrl ?? '',
    osvDataUrl: s.osvDataUrl ?? '',
    store: s.store ?? '',
  };
}

const blankToNull = (s: string): string | null => (s.trim() === '' ? null : s.trim());

export function fromForm(f: SettingsForm): Settings {
  const registries: RegistryEntry[] = f.registries
    .filter((r) => r.host.trim() !== '')
    .map((r) => ({ host: r.host.trim(), insecure: r.insecure, caFile: blankToNull(r.caFile) }));
  const jobs = f.maxConcurrentDownloads.trim();
  return {
    registryMirrors: f.mirrors
      .split('\n')
      .map((m) => m.trim())
      .filter((m) => m !== ''),
    registries,
    maxConcurrentDownloads: jobs === '' ? null : Number(jobs),
    defaultPlatform: blankToNull(f.defaultPlatform),
    hubUrl: blankToNull(f.hubUrl),
    osvApiUrl: blankToNull(f.osvApiUrl),
    osvDataUrl: blankToNull(f.osvDataUrl),
    store: blankToNull(f.store),
  };
}

function isHttpUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** What is wrong with the form, by field (`registries.0.host`, `osvApiUrl`, …); empty when
 *  it may be saved. */
export function validate(f: SettingsForm): Record<string, string> {
  const errors: Record<string, string> = {};
  const mirrors = f.mirrors
    .split('\n')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  // A bare host gets https://, as the engine reads mirrors.
  const bad = mirrors.find((m) => !isHttpUrl(m.includes('://') ? m : `https://${m}`));
  if (bad !== undefined) errors.mirrors = `“${bad}” is not an http(s) URL (e.g. https://mirror.example.com)`;
  const seen = new Set<string>();
  f.registries.forEach((r, i) => {
    const host = r.host.trim();
    if (host === '') {
      if (r.caFile.trim() !== '' || r.insecure) errors[`registries.${i}.host`] = 'Name the registry’s host';
      return;
    }
    if (host.includes('://') || host.includes('/') || /\s/.test(host)) {
      errors[`registries.${i}.host`] = 'A host and optional port, like registry.example.com:5000';
    } else if (seen.has(host)) {
      errors[`registries.${i}.host`] = 'This registry is listed twice';
    }
    seen.add(host);
    const ca = r.caFile.trim();
    if (ca !== '' && !ca.startsWith('/')) errors[`registries.${i}.caFile`] = 'An absolute path to a PEM file';
  });
  const jobs = f.maxConcurrentDownloads.trim();
  if (jobs !== '' && (!/^\d+$/.test(jobs) || Number(jobs) < 1 || Number(jobs) > MAX_JOBS)) {
    errors.maxConcurrentDownloads = `A whole number from 1 to ${MAX_JOBS}`;
  }
  const platform = f.defaultPlatform.trim();
  if (platform !== '' && !/^[a-z0-9_.-]+\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)?$/i.test(platform)) {
    errors.defaultPlatform = 'os/arch or os/arch/variant, like linux/arm64';
  }
  for (const key of ['hubUrl', 'osvApiUrl', 'osvDataUrl'] as const) {
    const url = f[key].trim();
    if (url !== '' && !isHttpUrl(url)) errors[key] = 'An http:// or https:// URL';
  }
  const store = f.store.trim();
  if (store !== '' && !isAbsolutePath(store)) errors.store = 'An absolute path, like /home/me/porthole-store';
  return errors;
}

/** `/…`, `C:\…` or `\\server\…`: a path that does not depend on where Porthole runs. */
export function isAbsolutePath(path: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path);
}

/** Where the store is, and what chose it, for a person. */
export function storeOriginText(origin: StoreOrigin): string {
  switch (origin) {
    case 'environment':
      return 'from $PORTHOLE_STORE — the environment wins over this setting';
    case 'settings':
      return 'from this setting';
    case 'default':
      return 'the default location';
  }
}

/** A line of the update's progress, for a person. */
export function progressLine(e: VulnDbProgress): string {
  switch (e.event) {
    case 'downloading':
      return `${e.ecosystem}: downloading ${e.url}`;
    case 'downloaded':
      return `${e.ecosystem}: downloaded ${(e.bytes / 1_000_000).toFixed(1)} MB`;
    case 'imported':
      return `${e.ecosystem}: imported ${e.records.toLocaleString('en')} advisories${e.skipped > 0 ? ` (${e.skipped} unreadable, skipped)` : ''}`;
  }
}
