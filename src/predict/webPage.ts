// Writes the static page of an exported model (`tsnas export` to a web directory): index.html, its script,
// the model and onnxruntime-web's files copied from its dist folder beside them. Nothing is
// fetched from outside the folder; any static file server shows it (a module script and a fetch
// do not run from file://).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { outputFileError } from '../io/writeOutputFile';
import { ORT_WEB_FILES, PAGE_MODEL, PAGE_SCRIPT, pageHtml, pageScript } from './webPageFiles';

/** onnxruntime-web's dist folder. */
export function ortWebDistDir(): string {
  let main: string;
  try {
    main = require.resolve('onnxruntime-web');
  } catch (e) {
    throw new Error(
      "onnxruntime-web is not installed, and the page runs the model in it: install it with the README's set-up (npm run setup), or alone: npm install onnxruntime-web",
      { cause: e },
    );
  }
  return path.dirname(main);
}

export interface WebPageOptions {
  /** The page's title (default: 'tsnas image classifier'). */
  title?: string;
}

export interface WrittenWebPage {
  dir: string;
  /** Every file written, relative to dir. */
  files: string[];
  bytes: number;
}

/** Writes the page, its script, the model (ONNX bytes) and onnxruntime-web's files into dir. */
export function writeWebPage(dir: string, model: Uint8Array, o: WebPageOptions = {}): WrittenWebPage {
  const dist = ortWebDistDir();
  for (const f of ORT_WEB_FILES)
    if (!fs.existsSync(path.join(dist, f)))
      throw new Error(
        `onnxruntime-web in ${dist} lacks ${f}, which the page loads; reinstall it (npm ci) or install a version that ships it`,
      );
  const written: string[] = [];
  let bytes = 0;
  const put = (name: string, what: string, write: (file: string) => void) => {
    const file = path.join(dir, name);
    try {
      write(file);
    } catch (e) {
      throw outputFileError(file, what, e, 'give another folder for the page');
    }
    written.push(name);
    bytes += fs.statSync(file).size;
  };
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory())
    throw new Error(`cannot write the web page into ${dir}: it is a file, not a folder; give a folder for the page`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw outputFileError(dir, 'web page folder', e, 'give another folder for the page');
  }
  put('index.html', 'web page', (f) => fs.writeFileSync(f, pageHtml({ title: o.title ?? 'tsnas image classifier' })));
  put(PAGE_SCRIPT, 'web page script', (f) => fs.writeFileSync(f, pageScript()));
  put(PAGE_MODEL, 'ONNX model', (f) => fs.writeFileSync(f, model));
  for (const name of ORT_WEB_FILES) put(name, 'onnxruntime-web file', (f) => fs.copyFileSync(path.join(dist, name), f));
  return { dir, files: written, bytes };
}
