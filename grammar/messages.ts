// Plain-words syntax error messages for the .dadf parser: what was found, what was
// expected, and after what ("expected ':' after key 'steps', found '8'").
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import { Colon, Identifier, LCurly, RCurly, RParen, RSquare, StringLiteral } from './lexer.ts';

export function describeToken(token: IToken | undefined): string {
  if (token === undefined || token.tokenType === EOF || Number.isNaN(token.startOffset)) return 'the end of the file';
  const image = token.image.length > 24 ? token.image.slice(0, 21) + '...' : token.image;
  if (token.tokenType === Identifier) return `'${image}'`;
  if (token.tokenType.CATEGORIES?.includes(StringLiteral)) return `the string ${image}`;
  return `'${image}'`;
}

function label(type: TokenType): string {
  return type.LABEL ?? type.name;
}

/** "after 'x'" when there is a previous token, "" at the start of the file. */
function after(previous: IToken | undefined, actual?: IToken): string {
  if (previous === undefined || previous.tokenType === EOF || Number.isNaN(previous.startOffset)) return '';
  // After a re-sync chevrotain's "previous" is a skipped token, not the one before the error.
  if (actual !== undefined && !Number.isNaN(actual.startOffset) && previous.startOffset >= actual.startOffset) return '';
  return ` after ${describeToken(previous)}`;
}

/** What each rule hopes to see first, for "no viable alternative" errors. */
const ruleExpectations: Record<string, string> = {
  value: 'a value (a number, a string, a name, true/false/null, a list [...] or an object {...})',
  singleValue: 'a value (a number, a string, a name, true/false/null, a list [...] or an object {...})',
  arg: 'an argument (a value, or name: value)',
  ref: 'a pipeline name or a quoted file path',
  entry: "an entry ('key: value' or 'name { ... }')",
  object: "a property ('key: value') or '}'",
};

export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    const found = describeToken(actual);
    if (expected === Colon && ruleName === 'property') {
      const block = actual.tokenType === Identifier || actual.tokenType === LCurly ? " (or '{' to open a block)" : '';
      return `expected ':'${block} after key ${describeToken(previous)}, found ${found}`;
    }
    if (expected === Colon && ruleName === 'arg') return `expected ':' after argument name ${describeToken(previous)}, found ${found}`;
    if (expected === EOF) {
      return `unexpected ${found}: expected 'pipeline NAME { ... }' or the end of the file (is there one '}' too many above?)`;
    }
    if (expected === RCurly && (ruleName === 'block' || ruleName === 'pipelineDecl' || ruleName === 'object')) {
      return `unexpected ${found}${after(previous, actual)}: expected a new entry ('key: value' or 'name { ... }') or '}'`;
    }
    if (expected === RSquare && ruleName === 'list') return `expected ',' or ']'${after(previous, actual)} in the list, found ${found}`;
    if (expected === RParen && ruleName === 'call') return `expected ',' or ')'${after(previous, actual)} in the argument list, found ${found}`;
    if (expected === LCurly && ruleName === 'pipelineDecl') {
      return `expected '{' to open the pipeline body${after(previous, actual)}, found ${found}`;
    }
    if (expected === Identifier && ruleName === 'pipelineDecl') return `expected a pipeline name after 'pipeline', found ${found}`;
    if (expected === Identifier && ruleName === 'dottedKey') return `expected a key name after '.', found ${found}`;
    return `expected ${label(expected)}${after(previous, actual)}, found ${found}`;
  },

  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}: expected 'pipeline NAME { ... }' or the end of the file`;
  },

  buildNoViableAltMessage({ actual, previous, ruleName }) {
    const expected = ruleExpectations[ruleName] ?? 'something else';
    return `expected ${expected}${after(previous, actual[0])}, found ${describeToken(actual[0])}`;
  },

  buildEarlyExitMessage({ actual, previous, ruleName }) {
    const expected = ruleName === 'pipelineDecl' ? ruleExpectations.ref : (ruleExpectations[ruleName] ?? 'something else');
    return `expected ${expected}${after(previous, actual[0])}, found ${describeToken(actual[0])}`;
  },
};
