/** Text normalization before tokenization (spec 3.1): NFKC, invisible characters dropped, controls to spaces, NFKC. */
export const SETTINGS = { nfkc: true, strip_invisible: true, strip_control: true } as const;

const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufe00-\ufe0f\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/gu;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

export function normalize(text: string): string {
  text = text.normalize('NFKC');
  text = text.replace(INVISIBLE, '');
  text = text.replace(CONTROL, ' ');
  return text.normalize('NFKC');
}
