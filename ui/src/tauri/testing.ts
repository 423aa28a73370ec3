// Test helpers that fake the Rust side, so that component tests (in src/lib/) need not
// import `@tauri-apps/*` themselves. Only for tests: nothing in the app imports this.
import type { Channel } from '@tauri-apps/api/core';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';

/** A fake command: returns the answer, or throws what the Rust side would reject with. */
export type CommandHandler = (args: unknown) => unknown;

/** Answers the named commands with the handlers; any other command rejects as Tauri would.
 *  Event listening (`store-changed`) is mocked too; `emitEvent` fires one. */
export function mockCommands(handlers: Record<string, CommandHandler>): void {
  mockIPC(
    (command, args) => {
      const handler = handlers[command];
      if (!handler) throw `Command ${command} not found`;
      return handler(args);
    },
    { shouldMockEvents: true },
  );
}

/** The store plugin's commands (where preferences are kept), faked over `stored`: spread them
 *  into `mockCommands`. */
export function storeCommands(stored: Map<string, unknown>): Record<string, CommandHandler> {
  return {
    'plugin:store|load': () => 1,
    'plugin:store|get': (args) => {
      const { key } = args as { key: string };
      return [stored.get(key), stored.has(key)];
    },
    'plugin:store|set': (args) => {
      const { key, value } = args as { key: string; value: unknown };
      stored.set(key, value);
    },
  };
}

/** Sends `message` down the channel a command was given (as `args.onEvent`, say). */
export function sendToChannel(channel: unknown, message: unknown): void {
  (channel as Channel<unknown>).onmessage(message);
}

export { emit as emitEvent } from '@tauri-apps/api/event';

export { clearMocks };
