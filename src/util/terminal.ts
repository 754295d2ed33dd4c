// Text a target wrote, on its way to our terminal: control characters (ESC and the rest of C0 but newline and tab,
// DEL, C1) are shown as \xNN, so a target cannot move the cursor, retitle the window or hide lines in our output.
export function neutralizeControls(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
