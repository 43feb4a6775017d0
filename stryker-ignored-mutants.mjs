import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { commonTokens, declareClassPlugin, PluginKind, tokens } from '@stryker-mutator/api/plugin';

// The `ignoredMutants` table of stryker.config.mjs: the mutants no test can kill, listed in the
// configuration rather than as `// Stryker disable` comments in the source.
//
// An entry `{ file, code, mutators, reason }` acts as the comment
// `// Stryker disable next-line <mutators>: <reason>` above the line where `code` starts (above each
// of its lines if it spans several): the mutants of those mutators on those lines are reported as
// Ignored, with that reason. With `until` as well, it acts as `// Stryker disable <mutators>: <reason>`
// above the line of `code` and `// Stryker restore <mutators>` above the line of `until`.
// `code` is a piece of the file's text, compared whitespace aside (line breaks and indentation may
// change), that must occur exactly once in the file; so must `until`.
//
// Why comments: Stryker's ignorers ignore a node with everything below it, for every mutator, while
// its comments pick mutators on a line (`if (a === b)` may keep its EqualityOperator mutant and lose
// its ConditionalExpression ones). So this ignorer ignores no node itself: when Stryker enters a
// file's Program node, it gives the first node of each entry's line the comment, as a leading
// comment. Stryker reads a node's leading comments as it enters it, so it applies the comment as it
// applied it in the source (the same mutants, the same reason). The comments show in the instrumented
// copy (and, on a line that starts inside an expression, in the replacement text of the mutants
// around it, as a comment in the source there would).
//
// It fails loudly: Stryker refuses a table with unknown fields or mutator names, and this ignorer
// throws as it starts when an entry's code is not in its file, or is there more than once (whatever
// files the run mutates), and, as it instruments a file, when no node starts where an entry starts.

/** Stryker 9's mutators, by the names its comments and reports use. */
const MUTATORS = [
  'ArithmeticOperator',
  'ArrayDeclaration',
  'ArrowFunction',
  'AssignmentOperator',
  'BlockStatement',
  'BooleanLiteral',
  'ConditionalExpression',
  'EqualityOperator',
  'LogicalOperator',
  'MethodExpression',
  'ObjectLiteral',
  'OptionalChaining',
  'Regex',
  'StringLiteral',
  'UnaryOperator',
  'UpdateOperator',
];

/** The lines (1-based, first and last) of the one place of `code` in `text`, whitespace aside; throws unless there is exactly one. */
function linesOf(code, text, file) {
  const chars = [...code.replace(/\s+/g, '')].map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const found = [...text.matchAll(new RegExp(chars.join('\\s*'), 'g'))];
  if (found.length !== 1) {
    throw new Error(`stryker.config.mjs, ignoredMutants: expected the code \`${code}\` once in ${file}, found it ${found.length} times`);
  }
  const line = (at) => text.slice(0, at).split('\n').length;
  return { first: line(found[0].index), last: line(found[0].index + found[0][0].length) };
}

/** The directive comments (Babel line comments) of a file's entries, by line, and the lines where the entries start. */
function directives(entries, text) {
  const byLine = new Map();
  const starts = new Set();
  const add = (line, directive) => byLine.set(line, [...(byLine.get(line) ?? []), { type: 'CommentLine', value: ` ${directive}` }]);
  for (const { file, code, until, mutators, reason } of entries) {
    const { first, last } = linesOf(code, text, file);
    starts.add(first);
    if (until) {
      add(first, `Stryker disable ${mutators.join(',')}: ${reason}`);
      const restore = linesOf(until, text, file).first;
      starts.add(restore);
      add(restore, `Stryker restore ${mutators.join(',')}`);
    } else {
      for (let line = first; line <= last; line++) add(line, `Stryker disable next-line ${mutators.join(',')}: ${reason}`);
    }
  }
  return { byLine, starts };
}

class IgnoredMutants {
  static inject = tokens(commonTokens.options);

  constructor(options) {
    this.entries = options.ignoredMutants;
    for (const entry of this.entries) directives([entry], readFileSync(entry.file, 'utf8'));
  }

  shouldIgnore(path) {
    if (!path.isProgram()) return undefined;
    // Stryker 9 wraps each file's tree in a Babel File: path.hub.file holds its name and text.
    const { filename } = path.hub.file.opts;
    const entries = this.entries.filter((entry) => resolve(entry.file) === filename);
    if (entries.length === 0) return undefined;
    const { byLine, starts } = directives(entries, path.hub.file.code);
    // The first node entered on a line: Stryker reads its comments before any mutant of the line.
    path.traverse({
      enter(inner) {
        const line = inner.node.loc?.start.line;
        const comments = byLine.get(line);
        if (!comments) return;
        inner.addComments('leading', comments);
        byLine.delete(line);
      },
    });
    // A `code` or `until` that starts with punctuation, on a line where no node starts, would ignore nothing there.
    const missed = [...starts].filter((line) => byLine.has(line));
    if (missed.length > 0) throw new Error(`stryker.config.mjs, ignoredMutants: no node starts on line ${missed} of ${filename}`);
    return undefined;
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Ignore, 'ignored-mutants', IgnoredMutants)];

export const strykerValidationSchema = {
  properties: {
    ignoredMutants: {
      description: 'Mutants to report as Ignored: see stryker-ignored-mutants.mjs.',
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['file', 'code', 'mutators', 'reason'],
        properties: {
          file: { type: 'string' },
          code: { type: 'string', minLength: 1 },
          until: { type: 'string', minLength: 1 },
          mutators: { type: 'array', minItems: 1, items: { enum: MUTATORS } },
          reason: { type: 'string', pattern: '^[^\\n]+$' },
        },
      },
    },
  },
};
