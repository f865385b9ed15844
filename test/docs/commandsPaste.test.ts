// Every command the README and docs/ show pastes into bash as written: a word with an unquoted < or >
// (`--constraint flops<=4M`, a `<study>` placeholder) is a redirection there ("bash: =4M: No such
// file or directory"), so constraints are quoted and placeholders are written in capitals.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const WORD = /(?:[^\s'"]|'[^']*'|"[^"]*")+/g;
/** Deliberate redirections: `> out.txt`, `2>&1`, `>/dev/null`. */
const REDIRECTION = /^(\d?>>?|\d?>&\d|<|>\/dev\/null)$/;

/** The words of a command line that bash would read as (part of) a redirection by accident. */
export function unquotedRedirections(command: string): string[] {
  const bad: string[] = [];
  for (const [word] of command.split(/\s#/)[0]!.matchAll(WORD)) {
    const bare = word.replace(/'[^']*'|"[^"]*"/g, '');
    if (/[<>]/.test(bare) && !REDIRECTION.test(word)) bad.push(word);
  }
  return bad;
}

/** Command lines of a Markdown file: lines of bash/sh blocks (and of untagged blocks that run
 *  tsnas), and inline code that starts with `tsnas` or `npx tsnas`. */
function commandLines(file: string): Array<{ line: number; command: string }> {
  const out: Array<{ line: number; command: string }> = [];
  let block: string | null = null;
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const s = text.trim();
      if (s.startsWith('```')) {
        block = block === null ? s.slice(3).trim() || 'plain' : null;
        return;
      }
      if (block === 'bash' || block === 'sh' || block === 'shell') out.push({ line: i + 1, command: text });
      else if (block === 'plain' && (/\btsnas\b/.test(text) || s.startsWith('--')))
        out.push({ line: i + 1, command: text });
      else if (block === null)
        for (const m of text.matchAll(/`((?:npx )?tsnas [^`]*)`/g)) out.push({ line: i + 1, command: m[1]! });
    });
  return out;
}

test('the word check flags unquoted constraints and placeholders, not quoted ones or redirections', () => {
  assert.deepEqual(unquotedRedirections('npx tsnas search random --constraint flops<=4M --study a'), ['flops<=4M']);
  assert.deepEqual(unquotedRedirections('npx tsnas study report <study>'), ['<study>']);
  assert.deepEqual(unquotedRedirections('npx tsnas search random --constraint \'flops<=4M\' --window="flops>=2M"'), []);
  assert.deepEqual(unquotedRedirections('npx tsnas info --json > info.json 2>&1'), []);
  assert.deepEqual(unquotedRedirections('bash scripts/test.sh   # every test (<= 10 minutes)'), []);
});

test('every command in the README and docs/ pastes into bash as written', () => {
  const files = [
    path.join(ROOT, 'README.md'),
    ...fs
      .readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join(ROOT, 'docs', f)),
  ];
  const bad: string[] = [];
  let commands = 0;
  for (const file of files)
    for (const { line, command } of commandLines(file)) {
      commands++;
      const words = unquotedRedirections(command);
      if (words.length) bad.push(`${path.relative(ROOT, file)}:${line}: ${words.join(' ')}  (${command.trim()})`);
    }
  assert.ok(commands > 50, `${commands} command lines found`);
  assert.deepEqual(bad, [], 'quote words with < or > (bash redirections), write placeholders as NAME');
});
