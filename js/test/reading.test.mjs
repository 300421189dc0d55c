// The reading steps of issue 21 against the Python runtime's own outputs (js/test/fixtures/reading.json.gz,
// written by scripts/reading_fixtures.py): language ID, cipher decoders, encoded spans, the reworded
// view, run-on segments, the seam's first and last sentences, hasText. READING_EXTRA=FILE adds a local language-ID fixture (research-only texts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import { languageIdentifier } from '../dist/langid.js';
import { decodeA1z26, decodeBinary, decodeCiphers, decodeMorse, encodedSpans } from '../dist/ciphers.js';
import { decodeEncodings, hasText } from '../dist/decoders.js';
import { Lexicon } from '../dist/despace.js';
import { changedPart, dropFiller, reword } from '../dist/words.js';
import { firstSentence, lastSentence, segmentSpans, sentenceSpans } from '../dist/segments.js';
import { WordPieceTokenizer } from '../dist/tokenizer.js';

const load = (path) => JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));
const fixture = load(new URL('./fixtures/reading.json.gz', import.meta.url));
const spansText = (text, spans) => spans.map(([a, b]) => text.slice(a, b));

function agreeLangid(cases, label) {
  return async () => {
    const id = await languageIdentifier();
    const wrong = [];
    let worstRaw = 0, worstProb = 0;
    for (const c of cases) {
      const raw = id.scores(c.text, false);
      const probs = id.scores(c.text, true);
      if (id.classify(c.text)[0] !== c.lang || id.classify(c.text, true)[0] !== c.lang_norm) wrong.push(c.text);
      c.raw.forEach((v, j) => { worstRaw = Math.max(worstRaw, Math.abs(raw[j] - v) / Math.max(1, Math.abs(v))); });
      c.probs.forEach((v, j) => { worstProb = Math.max(worstProb, Math.abs(probs[j] - v)); });
    }
    assert.deepEqual(wrong, [], `${label}: ${wrong.length} of ${cases.length} texts called another language`);
    assert.ok(worstRaw < 1e-5, `${label}: raw scores differ by ${worstRaw} (relative)`);
    assert.ok(worstProb < 1e-4, `${label}: probabilities differ by ${worstProb}`);
  };
}

test('js/data/langid.bin holds the Python runtime\'s language set (languages.LANGUAGES)', async () => {
  const id = await languageIdentifier();
  assert.deepEqual([...id.languages].sort(), [...fixture.languages].sort());
});

test(`language ID: the same language and scores as py3langid on ${fixture.langid.length} texts`, agreeLangid(fixture.langid, 'fixture'));

if (process.env.READING_EXTRA) {
  const extra = load(process.env.READING_EXTRA);
  test(`language ID on ${extra.langid.length} local texts (${process.env.READING_EXTRA})`, agreeLangid(extra.langid, 'extra'));
}

const tokenizer = new WordPieceTokenizer(JSON.parse(readFileSync(new URL('../../runtime/models/micro/tokenizer.json', import.meta.url), 'utf8')));
const lexicon = Lexicon.fromVocab(tokenizer.vocab);
const hasWord = (w) => tokenizer.tokenToId(w) !== undefined;

const FIELDS = {
  morse: (t) => decodeMorse(t),
  binary: (t) => decodeBinary(t),
  a1z26: (t) => decodeA1z26(t),
  ciphers: (t) => decodeCiphers(t),
  encoded: (t) => spansText(t, encodedSpans(t)),
  decoded: (t) => decodeEncodings(t),
  filler: (t) => dropFiller(t),
  reworded: (t) => reword(t, lexicon, hasWord),
  reworded_noleet: (t) => reword(t, lexicon, hasWord, false),
  reworded_nohas: (t) => reword(t, lexicon),
  changed: (t) => changedPart(t, reword(t, lexicon, hasWord)),
  segments: (t) => spansText(t, segmentSpans(t)),
  sentences: (t) => spansText(t, sentenceSpans(t)),
  first_sentence: (t) => firstSentence(t),
  last_sentence: (t) => lastSentence(t),
  has_text: (t) => hasText(t),
};

for (const [field, fn] of Object.entries(FIELDS)) {
  test(`${field}: as Python on ${fixture.reading.length} texts`, () => {
    const want = (c) => c[field] ?? c.text; // (left out: the step leaves the text as it is)
    const wrong = fixture.reading.filter((c) => !isDeepStrictEqual(fn(c.text), want(c)));
    if (wrong.length) assert.deepEqual(fn(wrong[0].text), want(wrong[0]), `${wrong.length} differ; first: ${JSON.stringify(wrong[0].text).slice(0, 200)}`);
  });
}

