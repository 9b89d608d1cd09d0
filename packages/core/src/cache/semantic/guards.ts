/**
 * Cheap lexical near-miss guards. Embeddings place "refund order 41" next to "refund order 14"
 * and "I can log in" next to "I can't log in"; those are the misses a similarity threshold lets
 * through. The guards compare what a paraphrase keeps and a near miss changes: negation, numbers,
 * and named things (and their order). Pure functions over the two prompts.
 */

export type NearMissReason = 'negation' | 'number' | 'entity' | 'entity-order';

const NEGATIONS = new Set([
  'not', 'no', 'never', 'none', 'nothing', 'nobody', 'nowhere', 'neither', 'nor', 'without',
  'cannot', 'cant', 'unable',
]);

/** Capitalised words that start sentences or questions without naming anything. */
const COMMON_CAPITALISED = new Set([
  'i', 'a', 'an', 'the', 'how', 'what', 'why', 'when', 'where', 'which', 'who', 'whom', 'whose',
  'can', 'could', 'should', 'would', 'will', 'is', 'are', 'was', 'were', 'do', 'does', 'did',
  'has', 'have', 'had', 'my', 'our', 'we', 'you', 'your', 'it', 'its', 'this', 'that', 'these',
  'those', 'there', 'please', 'help', 'hi', 'hello', 'hey', 'any', 'if', 'in', 'on', 'for',
  'to', 'from', 'with', 'after', 'before', 'since', 'still', 'also', 'then', 'so', 'and', 'but',
  'or', 'not', 'no', 'yes', 'ok', 'okay', 'thanks', 'need', 'want', 'getting', 'trying',
  'tried', 'all', 'some', 'every', 'each', 'one', 'me', 'us', 'they', 'their', 'be', 'am', 'may',
  'might', 'must', 'shall', 'let', 'lets', 'tell', 'show', 'explain', 'give', 'make', 'set',
  'get', 'find', 'add', 'remove', 'delete', 'create', 'update', 'change', 'move', 'whats',
]);

const NUMBER_WORDS = new Map<string, string>([
  ['zero', '0'], ['one', '1'], ['two', '2'], ['three', '3'], ['four', '4'], ['five', '5'],
  ['six', '6'], ['seven', '7'], ['eight', '8'], ['nine', '9'], ['ten', '10'], ['eleven', '11'],
  ['twelve', '12'], ['twenty', '20'], ['thirty', '30'], ['fifty', '50'], ['hundred', '100'],
  ['thousand', '1000'], ['once', '1'], ['twice', '2'], ['single', '1'], ['double', '2'],
]);

/** Words, numbers (with decimals and separators) and identifiers, case kept. */
const TOKEN = /[\p{L}\p{N}]+(?:[.'’_:/-][\p{L}\p{N}]+)*/gu;

function tokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

function negationCount(words: readonly string[]): number {
  let count = 0;
  for (const word of words) {
    const lower = word.toLowerCase().replace(/’/g, "'");
    if (NEGATIONS.has(lower) || lower.endsWith("n't")) count++;
  }
  return count;
}

/** Numbers in order: digits (1,000 and 1000 alike) and the common number words. */
function numbers(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const word of words) {
    const lower = word.toLowerCase();
    const spelled = NUMBER_WORDS.get(lower);
    if (spelled !== undefined) out.push(spelled);
    else for (const digits of lower.match(/\d+(?:\.\d+)*/g) ?? []) out.push(digits);
  }
  return out;
}

/**
 * Named things in order, lowercased for comparison: words with a capital letter that are not
 * common sentence openers (a sentence's first word only when its capital is not just the
 * sentence's: `GitHub`, `SSO`, `iOS`), and identifiers (`us-east-1`, `ORD-4411`, `user_id`).
 */
function entities(text: string): string[] {
  const out: string[] = [];
  for (const sentence of text.split(/[.!?;:]+\s+|\n+/)) {
    tokens(sentence).forEach((word, i) => {
      const lower = word.toLowerCase().replace(/['’](s|re|ve|ll|d|m|t)$/, '');
      const capitals = word.match(/\p{Lu}/gu)?.length ?? 0;
      const leadingOnly = capitals === 1 && /^\p{Lu}/u.test(word);
      const named = capitals > 0 && !COMMON_CAPITALISED.has(lower) && !(i === 0 && leadingOnly);
      const identifier = /[_.:/-]/.test(word) && /\p{L}/u.test(word) && /\d|_/.test(word);
      if (named || identifier) out.push(lower);
    });
  }
  return out;
}

function sameMultiset(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((value, i) => value === y[i]);
}

function sameSequence(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Why `a` and `b` look like a near miss rather than a paraphrase, or undefined when they pass. */
export function nearMissReason(rawA: string, rawB: string): NearMissReason | undefined {
  // Thousands separators: "1,000" and "1000" are the same number.
  const a = rawA.replace(/(\d),(?=\d{3}\b)/g, '$1');
  const b = rawB.replace(/(\d),(?=\d{3}\b)/g, '$1');
  const wordsA = tokens(a);
  const wordsB = tokens(b);
  if (negationCount(wordsA) !== negationCount(wordsB)) return 'negation';
  if (!sameSequence(numbers(wordsA), numbers(wordsB))) return 'number';
  const entitiesA = entities(a);
  const entitiesB = entities(b);
  if (!sameMultiset(entitiesA, entitiesB)) return 'entity';
  if (!sameSequence(entitiesA, entitiesB)) return 'entity-order';
  return undefined;
}

/** True when serving `cached`'s answer for `prompt` passes every near-miss guard. */
export function passesGuards(prompt: string, cached: string): boolean {
  return nearMissReason(prompt, cached) === undefined;
}
