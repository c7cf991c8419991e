import { StorageError } from './errors.js';

/** One lexical token of SQLite SQL, as far as the guard needs to know. */
interface Token {
  /** `word`: bare keyword or identifier; `quoted`: "x", `x` or [x]; `string`: 'x'; `punct`: one other character. */
  readonly kind: 'word' | 'quoted' | 'string' | 'punct' | 'parameter';
  readonly text: string;
}

/** SQLite identifier characters: ASCII letters, digits, `_`, `$` and every non-ASCII character. */
function isIdentifierChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 36 || code >= 128
  );
}

/**
 * Walks SQL the way SQLite's tokenizer does for the parts that matter here:
 * string literals, quoted identifiers, comments and parameters are skipped or
 * reported whole, so keywords inside them can neither trigger nor hide a match.
 * Linear in the length of the text.
 */
function* tokens(sql: string): Generator<Token> {
  const length = sql.length;
  let i = 0;
  while (i < length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i + 2);
      i = end === -1 ? length : end + 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? length : end + 2;
    } else if (c === "'") {
      const literal = skipQuoted(sql, i, "'");
      yield { kind: 'string', text: literal.body };
      i = literal.end;
    } else if (c === '"' || c === '`' || c === '[') {
      const quoted = skipQuoted(sql, i, c === '[' ? ']' : c);
      yield { kind: 'quoted', text: quoted.body };
      i = quoted.end;
    } else if ((c === ':' || c === '@' || c === '$' || c === '?') && isIdentifierChar(sql.charCodeAt(i + 1))) {
      // A parameter such as :attach is a name for a value, not a keyword.
      const end = skipWord(sql, i + 1);
      yield { kind: 'parameter', text: sql.slice(i, end) };
      i = end;
    } else if (isIdentifierChar(sql.charCodeAt(i))) {
      const end = skipWord(sql, i);
      yield { kind: 'word', text: sql.slice(i, end) };
      i = end;
    } else {
      if (c.trim() !== '') yield { kind: 'punct', text: c };
      i += 1;
    }
  }
}

function skipWord(sql: string, start: number): number {
  let i = start;
  while (i < sql.length && isIdentifierChar(sql.charCodeAt(i))) i += 1;
  return i;
}

/** Skips a quoted run starting at `start`; a doubled closing quote is an escaped quote. */
function skipQuoted(sql: string, start: number, close: string): { end: number; body: string } {
  let body = '';
  let i = start + 1;
  for (;;) {
    const end = sql.indexOf(close, i);
    if (end === -1) return { end: sql.length, body: body + sql.slice(i) };
    body += sql.slice(i, end);
    if (close !== ']' && sql[end + 1] === close) {
      body += close;
      i = end + 2;
    } else {
      return { end: end + 1, body };
    }
  }
}

const FORBIDDEN_WORDS = new Map([
  ['attach', 'ATTACH would open another database file'],
  ['detach', 'DETACH is only meaningful after ATTACH'],
  ['load_extension', 'load_extension would load native code into the host'],
]);

function forbidden(reason: string): StorageError {
  return new StorageError(
    'forbidden',
    `Forbidden SQL statement: ${reason}. Plugin databases allow plain SQL on their own file only.`,
  );
}

/** How a statement writes its parameters: the highest `?N` (0 for none) and whether a bare `?` appears. */
export interface ParameterStyle {
  highestNumbered: number;
  hasBare: boolean;
}

/**
 * The SQL guard (D11). Throws `invalid_request` for SQL with NUL characters
 * (SQLite would silently stop reading at the NUL), and `forbidden` for ATTACH,
 * DETACH and load_extension however they are written, for VACUUM INTO (it
 * writes a file wherever the plugin says) and for changing max_page_count
 * (that is the host's size cap). "Exactly one statement" is enforced when the
 * statement is prepared. In the same pass it reports how the SQL writes its
 * parameters, for binding a JSON array.
 */
export function assertAllowedSql(sql: string): ParameterStyle {
  if (sql.includes('\u0000')) {
    throw new StorageError('invalid_request', 'SQL text contains a NUL character; remove it or bind the value as a parameter.');
  }
  // The last few tokens are enough context for the multi-token rules.
  const recent: Token[] = [];
  let atStatementStart = true;
  let inVacuum = false;
  const style: ParameterStyle = { highestNumbered: 0, hasBare: false };
  for (const token of tokens(sql)) {
    if (token.kind === 'parameter') {
      if (/^\?\d+$/.test(token.text)) style.highestNumbered = Math.max(style.highestNumbered, Number(token.text.slice(1)));
      continue;
    }
    if (token.kind === 'punct' && token.text === '?') style.hasBare = true;
    const lower = token.text.toLowerCase();
    if (token.kind === 'word') {
      const reason = FORBIDDEN_WORDS.get(lower);
      if (reason !== undefined) throw forbidden(reason);
      if (atStatementStart) inVacuum = lower === 'vacuum';
      else if (inVacuum && lower === 'into') {
        throw forbidden("VACUUM INTO would write a database file outside the plugin's data directory");
      }
    } else if (token.kind === 'quoted' && lower === 'load_extension') {
      // SQLite accepts a quoted identifier as a function name: "load_extension"('x').
      throw forbidden(FORBIDDEN_WORDS.get(lower)!);
    } else if (token.kind === 'punct' && (token.text === '=' || token.text === '(') && endsWithMaxPageCountPragma(recent)) {
      throw forbidden("max_page_count is the host's size cap for this database");
    }
    atStatementStart = token.kind === 'punct' && token.text === ';';
    if (atStatementStart) inVacuum = false;
    recent.push(token);
    if (recent.length > 4) recent.shift();
  }
  return style;
}

/** True when the tokens end with `PRAGMA [schema .] max_page_count` (the name may be quoted). */
function endsWithMaxPageCountPragma(recent: Token[]): boolean {
  const last = recent.length - 1;
  const isPragma = (token: Token | undefined) => token?.kind === 'word' && token.text.toLowerCase() === 'pragma';
  const name = recent[last];
  if (name === undefined || name.kind === 'punct' || name.text.toLowerCase() !== 'max_page_count') return false;
  if (isPragma(recent[last - 1])) return true;
  return recent[last - 1]?.text === '.' && recent[last - 1]?.kind === 'punct' && isPragma(recent[last - 3]);
}
