// The one module through which the UI talks to the Rust side. Nothing outside src/tauri/
// may import `@tauri-apps/*` (a test enforces it): components call the typed functions
// here, and every failure arrives as an `IpcError` with a `code` to branch on.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core';

import type { ImageRow } from './bindings/ImageRow';
import type { IpcError as IpcErrorDto } from './bindings/IpcError';
import type { IpcErrorCode } from './bindings/IpcErrorCode';

export type { ImageRow, IpcErrorCode };

// Listing every code makes TypeScript fail here when Rust adds one (the bindings change).
const CODES = {
  network: true,
  auth: true,
  notFound: true,
  rateLimited: true,
  digestMismatch: true,
  cancelled: true,
  invalidInput: true,
  internal: true,
} as const satisfies Record<IpcErrorCode, true>;

function isIpcErrorCode(value: unknown): value is IpcErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value);
}

function isIpcErrorDto(value: unknown): value is IpcErrorDto {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return isIpcErrorCode(code) && typeof message === 'string';
}

/** A failed command: `code` says what kind of failure, `message` is for people. */
export class IpcError extends Error {
  readonly code: IpcErrorCode;

  constructor(code: IpcErrorCode, message: string) {
    super(message);
    this.name = 'IpcError';
    this.code = code;
  }

  /** Whatever a command rejected with, as an `IpcError`. */
  static from(raw: unknown, command: string): IpcError {
    if (raw instanceof IpcError) return raw;
    if (isIpcErrorDto(raw)) return new IpcError(raw.code, raw.message);
    // Tauri itself rejects with a string when, say, a command is not allowed or not found.
    const detail = typeof raw === 'string' ? raw : raw instanceof Error ? raw.message : String(raw);
    return new IpcError('internal', `The app could not run “${command}”: ${detail}`);
  }
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw IpcError.from(raw, command);
  }
}

/** Every image in the local store. */
export function listImages(): Promise<ImageRow[]> {
  return call<ImageRow[]>('list_images');
}
