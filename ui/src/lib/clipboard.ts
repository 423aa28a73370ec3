/** Puts `text` on the clipboard: the async Clipboard API where the webview offers it, else
 *  a selected, off-screen textarea and `execCommand('copy')`. Resolves to whether it worked. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (no permission, not a secure context): try the old way.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'visually-hidden';
  const focused = document.activeElement;
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  area.remove();
  if (focused instanceof HTMLElement) focused.focus();
  return copied;
}

/** Copies `text` and says how it went, in the words a status line shows. */
export async function copyAndSay(text: string): Promise<string> {
  return (await copyText(text)) ? `Copied ${text}` : `Could not copy ${text} to the clipboard`;
}
