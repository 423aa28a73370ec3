// Test helpers that fake the Rust side, so that component tests (in src/lib/) need not
// import `@tauri-apps/*` themselves. Only for tests: nothing in the app imports this.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';

/** A fake command: returns the answer, or throws what the Rust side would reject with. */
export type CommandHandler = (args: unknown) => unknown;

/** Answers the named commands with the handlers; any other command rejects as Tauri would. */
export function mockCommands(handlers: Record<string, CommandHandler>): void {
  mockIPC((command, args) => {
    const handler = handlers[command];
    if (!handler) throw `Command ${command} not found`;
    return handler(args);
  });
}

export { clearMocks };
