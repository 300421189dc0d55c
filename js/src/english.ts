/**
 * English word lists and letter frequencies the reading steps test against (runtime/scoring/ciphers.py,
 * words.py, segments.py): which decoding reads as English, which short words are words, which
 * conjunctions splice a request onto a clause.
 */
const split = (s: string) => s.split(' ').filter((w) => w);

/** The most frequent English words ("a" and "i" left out: rot13 makes them from "n'" and "v"). */
export const COMMON: ReadonlySet<string> = new Set(split(
  'the be to of and a in that have i it for not on with he as you do at this but his by from they we ' +
  'say her she or an will my one all would there their what so up out if about who get which go me ' +
  'when make can like time no just him know take people into year your good some could them see ' +
  'other than then now look only come its over think also back after use two how our work first ' +
  'well way even new want because any these give day most us is are was were has had been how why ' +
  'where tell write help please should').filter((w) => w !== 'a' && w !== 'i'));

/** English letter frequencies (percent). */
export const LETTER_FREQ: Readonly<Record<string, number>> = {
  e: 12.7, t: 9.1, a: 8.2, o: 7.5, i: 7.0, n: 6.7, s: 6.3, h: 6.1, r: 6.0,
  d: 4.3, l: 4.0, c: 2.8, u: 2.8, m: 2.4, w: 2.4, f: 2.2, g: 2.0, y: 2.0,
  p: 1.9, b: 1.5, v: 1.0, k: 0.8, j: 0.15, x: 0.15, q: 0.1, z: 0.07,
};
export const LETTER_LOGP: ReadonlyMap<string, number> = new Map(Object.entries(LETTER_FREQ).map(([k, v]) => [k, Math.log(v / 100)]));

/** English words of one or two letters; other scraps that short are pieces of split words ("bo mb"). */
export const SHORT_WORDS: ReadonlySet<string> = new Set(split('a i am an as at be by do go he hi if in is it me my no of oh ok on or so to up us we'));

/** International Morse code. */
export const MORSE: ReadonlyMap<string, string> = new Map(Object.entries({
  '.-': 'a', '-...': 'b', '-.-.': 'c', '-..': 'd', '.': 'e', '..-.': 'f', '--.': 'g', '....': 'h', '..': 'i',
  '.---': 'j', '-.-': 'k', '.-..': 'l', '--': 'm', '-.': 'n', '---': 'o', '.--.': 'p', '--.-': 'q', '.-.': 'r',
  '...': 's', '-': 't', '..-': 'u', '...-': 'v', '.--': 'w', '-..-': 'x', '-.--': 'y', '--..': 'z',
  '-----': '0', '.----': '1', '..---': '2', '...--': '3', '....-': '4', '.....': '5', '-....': '6',
  '--...': '7', '---..': '8', '----.': '9', '.-.-.-': '.', '--..--': ',', '..--..': '?', '-.-.--': '!',
  '.----.': "'", '-..-.': '/', '-.--.': '(', '-.--.-': ')', '---...': ':', '-....-': '-',
}));

/** Conjunctions that splice a request onto a run-on clause, and the words that open such a request. */
export const CONJUNCTIONS = ['and', 'but', 'so', 'or', 'then', 'also', 'plus'];
export const REQUEST_OPENERS = split(
  'how what where why who which can could would will should tell give show write explain help describe list ' +
  'teach provide create generate suggest outline draft please ways ideas steps instructions tips methods ' +
  'techniques strategies guide tutorial find make build design develop devise plan identify research ' +
  'compile compose summarize analyze share recommend produce prepare detail instruct post publish get buy ' +
  'help convince persuade demonstrate brainstorm investigate determine construct search look');
