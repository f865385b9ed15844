// The tsnas package's root directory (where package.json, native/ and spaces/ are). Compiled code
// runs from dist/src/..., sources from src/...: walk up from here to the first package.json.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function packageRoot(): string {
  let root = __dirname;
  while (!fs.existsSync(path.join(root, 'package.json')) && path.dirname(root) !== root) root = path.dirname(root);
  return root;
}

/** The version in the package's package.json. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
