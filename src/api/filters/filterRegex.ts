import v8 from 'node:v8';
import safeRegex from 'safe-regex2';

/**
 * Regular expressions in webhook filters, written by API users and run against event payloads of up
 * to 256 KiB. A length limit and safe-regex2 (which refuses nested quantifiers such as `(a+)+$`) are
 * not enough on their own: V8's backtracking engine spends about a minute on `.*foo` against a
 * 256 KiB string without "foo". So filter regexes run on V8's linear-time engine (the `l` flag),
 * which never backtracks; it refuses backreferences and lookaround, so those are refused too.
 */

export const MAX_REGEX_LENGTH = 256;
/** Mongo's `$options` letters that JavaScript also knows; `x` has no JavaScript equivalent. */
export const REGEX_OPTIONS = /^[ims]*$/;

// The linear engine sits behind a V8 flag. It only affects regexes created with `l`, so turning it on
// changes nothing else in the process. If a future V8 refuses it, filters fall back to the
// backtracking engine behind the length limit and safe-regex2 alone.
function linearEngine(): boolean {
  try {
    v8.setFlagsFromString('--enable-experimental-regexp-engine');
    // biome-ignore lint/complexity/useRegexLiterals: a literal with the `l` flag is a syntax error where V8 lacks the engine
    new RegExp('a', 'l');
    return true;
  } catch {
    return false;
  }
}
export const LINEAR_REGEX = linearEngine();

// Escapes whose letter carries meaning: left alone when a pattern is lower-cased.
const MEANINGFUL_ESCAPES = new Set('dDwWsSbBnrtvfcxuk0123456789');

/**
 * The linear engine cannot do `i`; instead the pattern's literal characters and the subject are
 * both lower-cased. (A range such as `[A-z]` then loses the punctuation between Z and a.)
 */
function lowerCasePattern(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      const next = pattern[++i];
      out += `\\${MEANINGFUL_ESCAPES.has(next) ? next : next.toLowerCase()}`;
    } else out += c.toLowerCase();
  }
  return out;
}

export type StringTest = (subject: string) => boolean;

/** Why a pattern is refused, or null; checks what `compileRegex` would otherwise throw on. */
export function regexProblem(pattern: string, options: string): string | null {
  if (pattern.length > MAX_REGEX_LENGTH) return `$regex may be at most ${MAX_REGEX_LENGTH} characters`;
  if (!REGEX_OPTIONS.test(options)) return '$options may only combine i, m and s';
  try {
    compileRegex(pattern, options);
  } catch (err) {
    const reason = LINEAR_REGEX ? ' (backreferences and lookaround are not supported)' : '';
    return `$regex ${JSON.stringify(pattern)} is not a supported regular expression${reason}: ${(err as Error).message}`;
  }
  // Linear time makes this moot where the engine is on; it still refuses what would be slow without it.
  if (!safeRegex(pattern)) return `$regex ${JSON.stringify(pattern)} could take exponential time (nested quantifiers)`;
  return null;
}

/** A test for one pattern; throws on a pattern `regexProblem` refuses. */
export function compileRegex(pattern: string, options: string): StringTest {
  if (!LINEAR_REGEX) {
    const re = new RegExp(pattern, options);
    return (s) => re.test(s);
  }
  const fold = options.includes('i');
  const re = new RegExp(fold ? lowerCasePattern(pattern) : pattern, `l${options.replace('i', '')}`);
  return fold ? (s) => re.test(s.toLowerCase()) : (s) => re.test(s);
}
