#!/usr/bin/env node
'use strict';
// The tsnas command. The TypeScript is compiled to dist/ by the set-up (bash scripts/setup.sh).
const path = require('path');
const fs = require('fs');
const main = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('tsnas is not built yet. Run: bash scripts/setup.sh   (or: npm run build)\n');
  process.exit(1);
}
require(main).main(process.argv).catch((err) => {
  process.stderr.write(`tsnas: ${err && err.message ? err.message : err}\n`);
  if (process.env.TSNAS_DEBUG) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
