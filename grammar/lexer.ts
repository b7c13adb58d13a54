// The .dadf token vocabulary and lexer. Comments go to their own group (editors can use
// them); unterminated strings and block comments lex as tokens of their own so that the
// front end can report them once and keep parsing instead of cascading errors.
import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';

const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\f\v\r\n\u00a0\ufeff]+/, group: Lexer.SKIPPED, line_breaks: true });
const HashComment = createToken({ name: 'HashComment', pattern: /#[^\n\r]*/, group: 'comments' });
const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: 'comments' });
const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments', line_breaks: true });
/** A `/*` with no `*\/` before the end of the file: reported as DADF1004. */
export const UnterminatedBlockComment = createToken({ name: 'UnterminatedBlockComment', pattern: /\/\*[\s\S]*/, group: 'comments', line_breaks: true });

/** Any string literal; the concrete token types below are its members. */
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: Lexer.NA, label: 'a string' });
const DoubleQuoted = createToken({ name: 'DoubleQuoted', pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/, categories: [StringLiteral], label: 'a string' });
const SingleQuoted = createToken({ name: 'SingleQuoted', pattern: /'(?:[^'\\\n\r]|\\[^\n\r])*'/, categories: [StringLiteral], label: 'a string' });
/** A string cut off by the end of its line: reported as DADF1002, parsed as a string. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*\\?|'(?:[^'\\\n\r]|\\[^\n\r])*\\?/,
  categories: [StringLiteral],
  label: 'a string',
});

export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/, label: 'a number' });
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });
/** `mlp-ratio`: a name with dashes, read as a name and reported once (DADF1001) with the `_` spelling. */
export const DashedName = createToken({
  name: 'DashedName',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)+/,
  categories: [Identifier],
  label: 'a name',
});

/** Names are Identifier tokens or the DashedName slip. */
export function isName(token: IToken): boolean {
  return token.tokenType === Identifier || token.tokenType === DashedName;
}

function keyword(word: string): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word + '(?![A-Za-z0-9_])'),
    longer_alt: [DashedName, Identifier],
    label: `'${word}'`,
  });
}
export const Pipeline = keyword('pipeline');
export const Extends = keyword('extends');
export const True = keyword('true');
export const False = keyword('false');
export const Null = keyword('null');

export const LCurly = createToken({ name: 'LCurly', pattern: '{', label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: '}', label: "'}'" });
export const LSquare = createToken({ name: 'LSquare', pattern: '[', label: "'['" });
export const RSquare = createToken({ name: 'RSquare', pattern: ']', label: "']'" });
export const LParen = createToken({ name: 'LParen', pattern: '(', label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: ')', label: "')'" });
export const Colon = createToken({ name: 'Colon', pattern: ':', label: "':'" });
export const Comma = createToken({ name: 'Comma', pattern: ',', label: "','" });
export const Dot = createToken({ name: 'Dot', pattern: '.', label: "'.'" });
/** Common slips, parsed as ':' and ',' so that one slip gives one diagnostic (DADF1001). */
export const EqualsSlip = createToken({ name: 'EqualsSlip', pattern: '=', categories: [Colon], label: "'='" });
export const SemicolonSlip = createToken({ name: 'SemicolonSlip', pattern: ';', categories: [Comma], label: "';'" });

/** Every token type, in the order the lexer tries them. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  HashComment,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  StringLiteral,
  DoubleQuoted,
  SingleQuoted,
  UnterminatedString,
  NumberLiteral,
  Pipeline,
  Extends,
  True,
  False,
  Null,
  DashedName,
  Identifier,
  LCurly,
  RCurly,
  LSquare,
  RSquare,
  LParen,
  RParen,
  Colon,
  Comma,
  Dot,
  EqualsSlip,
  SemicolonSlip,
];

/** The reserved words of .dadf (for editors: completion, highlighting). */
export const keywords: readonly string[] = ['pipeline', 'extends', 'true', 'false', 'null'];

const dadfLexer = new Lexer(allTokens, {
  positionTracking: 'full',
  ensureOptimizations: false,
  // Strings and numbers are all distinguishable by their first character; the defaults are fine.
});

export function lexDadf(text: string) {
  return dadfLexer.tokenize(text);
}

const simpleEscapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', '"': '"', "'": "'", '/': '/' };

/**
 * The value of a string token: quotes removed, escapes decoded (`\n \t \r \b \f \v \0 \\ \" \'`,
 * `\uXXXX`, `\u{X...}`). An unknown escape stands for the character itself.
 */
export function unquote(token: IToken): string {
  const image = token.image;
  const terminated = token.tokenType !== UnterminatedString && image.length >= 2;
  const body = image.slice(1, terminated ? -1 : undefined);
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[++i];
    if (next in simpleEscapes) {
      out += simpleEscapes[next];
    } else if (next === 'u') {
      const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(body.slice(i + 1));
      const plain = /^[0-9a-fA-F]{4}/.exec(body.slice(i + 1));
      if (braced && parseInt(braced[1], 16) <= 0x10ffff) {
        out += String.fromCodePoint(parseInt(braced[1], 16));
        i += braced[0].length;
      } else if (plain) {
        out += String.fromCharCode(parseInt(plain[0], 16));
        i += 4;
      } else {
        out += 'u';
      }
    } else {
      out += next;
    }
  }
  return out;
}
