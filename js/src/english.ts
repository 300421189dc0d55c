/**
 * English word lists and letter frequencies the reading steps test against: which decoding reads as
 * English, which short words are words, which conjunctions splice a request onto a clause, Morse code.
 * One copy, runtime/data/english-words.json, read by the Python runtime too (spec 3.6, 3.7, 3.14, 3.15).
 */
import { english } from './generated/tables.js';

/** The most frequent English words ("a" and "i" left out: rot13 makes them from "n'" and "v"). */
export const COMMON: ReadonlySet<string> = new Set(english.common_words);
/** English letter frequencies (percent), and their natural logarithms as probabilities. */
export const LETTER_FREQ: Readonly<Record<string, number>> = english.letter_freq;
export const LETTER_LOGP: ReadonlyMap<string, number> = new Map(Object.entries(LETTER_FREQ).map(([k, v]) => [k, Math.log(v / 100)]));
/** English words of one or two letters; other scraps that short are pieces of split words ("bo mb"). */
export const SHORT_WORDS: ReadonlySet<string> = new Set(english.short_words);
/** International Morse code. */
export const MORSE: ReadonlyMap<string, string> = new Map(Object.entries(english.morse));
/** Conjunctions that splice a request onto a run-on clause, and the words that open such a request. */
export const CONJUNCTIONS: readonly string[] = english.conjunctions;
export const REQUEST_OPENERS: readonly string[] = english.request_openers;
