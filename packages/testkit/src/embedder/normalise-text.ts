/**
 * Light text normalisation for the local embedder: lowercase, contractions opened, punctuation
 * stripped, a few stopwords dropped, a tiny suffix stemmer and a short synonym list, so that
 * common rewordings of a support question land on the same words.
 */

const STOPWORDS = new Set([
  'a', 'an', 'the', 'is', 'are', 'was', 'were', 'be', 'been', 'am', 'i', 'me', 'my', 'we', 'our',
  'you', 'your', 'it', 'its', 'this', 'that', 'to', 'of', 'for', 'on', 'in', 'at', 'and', 'or',
  'so', 'do', 'does', 'did', 'please', 'hi', 'hello', 'hey', 'thanks', 'just', 'any', 'some',
  'there', 'here', 'what', 'how', 'why', 'can', 'could', 'would', 'should', 'will', 'way', 'is',
  'anyone', 'help', 'know', 'tell', 'want', 'need', 'like', 'get', 'got', 'getting', 'have', 'has',
  'with', 'about', 'by', 'up', 'again', 'now', 'still', 'keep', 'keeps', 'seem', 'seems', 'us',
]);

/** Rewordings mapped onto one word (after stemming). */
const SYNONYMS = new Map<string, string>([
  ['signin', 'login'], ['logon', 'login'], ['log', 'login'], ['sign', 'login'], ['authenticate', 'login'],
  ['passcode', 'password'], ['pwd', 'password'], ['credential', 'password'],
  ['remove', 'delete'], ['erase', 'delete'], ['wipe', 'delete'], ['purge', 'delete'],
  ['issue', 'error'], ['problem', 'error'], ['fault', 'error'], ['bug', 'error'], ['failure', 'error'],
  ['fix', 'resolve'], ['solve', 'resolve'], ['repair', 'resolve'], ['troubleshoot', 'resolve'],
  ['terminate', 'cancel'], ['end', 'cancel'], ['stop', 'cancel'],
  ['bill', 'invoice'], ['receipt', 'invoice'], ['charge', 'payment'], ['pay', 'payment'], ['billing', 'payment'],
  ['plan', 'subscription'], ['tier', 'subscription'], ['membership', 'subscription'],
  ['application', 'app'], ['program', 'app'], ['documentation', 'doc'], ['docs', 'doc'], ['guide', 'doc'],
  ['configuration', 'config'], ['setting', 'config'], ['configure', 'config'], ['setup', 'config'],
  ['repository', 'repo'], ['database', 'db'], ['postgre', 'postgres'], ['quick', 'fast'], ['slowly', 'slow'],
  ['sluggish', 'slow'], ['lag', 'slow'], ['latency', 'slow'], ['broken', 'error'], ['crash', 'error'],
  ['modify', 'change'], ['alter', 'change'], ['edit', 'change'], ['update', 'change'], ['rename', 'change'],
  ['retrieve', 'fetch'], ['download', 'fetch'], ['obtain', 'fetch'], ['export', 'fetch'],
  ['begin', 'start'], ['launch', 'start'], ['enable', 'activate'], ['turn', 'activate'], ['switch', 'activate'],
  ['disable', 'deactivate'], ['user', 'account'], ['profile', 'account'], ['email', 'mail'], ['e-mail', 'mail'],
  ['refunded', 'refund'], ['reimburse', 'refund'], ['money', 'refund'], ['upload', 'import'],
  ['limit', 'quota'], ['cap', 'quota'], ['allowance', 'quota'], ['key', 'token'], ['secret', 'token'],
  ['cost', 'price'], ['pricing', 'price'], ['fee', 'price'], ['expensive', 'price'],
  ['unable', 'not'], ['cannot', 'not'], ['fail', 'not'], ['never', 'not'], ['without', 'not'], ['no', 'not'],
  ['reset', 'recover'], ['forgot', 'recover'], ['forgotten', 'recover'], ['lost', 'recover'], ['restore', 'recover'],
  ['webpage', 'page'], ['site', 'page'], ['website', 'page'], ['dashboard', 'console'], ['portal', 'console'],
  ['timeout', 'slow'], ['hang', 'slow'], ['stuck', 'slow'], ['freeze', 'slow'], ['apis', 'api'], ['endpoint', 'api'],
]);

const SUFFIXES = ['ations', 'ation', 'ings', 'ing', 'edly', 'ed', 'ies', 'es', 'ly', 's'];

function stem(word: string): string {
  if (/\d/.test(word)) return word;
  for (const suffix of SUFFIXES) {
    if (word.length - suffix.length >= 4 && word.endsWith(suffix)) {
      const base = word.slice(0, -suffix.length);
      return suffix === 'ies' ? `${base}y` : base;
    }
  }
  return word;
}

/** The normalised content words of `text`, in order. */
export function contentWords(text: string): string[] {
  const opened = text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/\bcan't\b/g, 'can not')
    .replace(/\bwon't\b/g, 'will not')
    .replace(/n't\b/g, ' not')
    .replace(/'(s|re|ve|ll|d|m)\b/g, ' ');
  const words = opened.match(/[\p{L}\p{N}]+(?:[.-][\p{L}\p{N}]+)*/gu) ?? [];
  const out: string[] = [];
  for (const word of words) {
    if (STOPWORDS.has(word)) continue;
    const stemmed = stem(word);
    out.push(SYNONYMS.get(stemmed) ?? SYNONYMS.get(word) ?? stemmed);
  }
  return out;
}
