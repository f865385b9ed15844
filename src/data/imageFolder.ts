// An image folder as a data set (torchvision's ImageFolder, Keras' image_dataset_from_directory):
// DIR/<class>/<image> with a folder per class (images in nested folders count for their class),
// or DIR/train/<class>/... with DIR/test/<class>/... or DIR/val/<class>/... beside it. Class names
// are the folder names, in sorted order; hidden files and folders (a leading dot) are left out.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_FORMATS, checkClassCount, isImageFile, type ImageEntry, type ImageListing } from './imageListing';

const sorted = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function subfolders(dir: string): string[] {
  return sorted(
    fs
      .readdirSync(dir, { withFileTypes: true })
      .filter(
        (d) => !d.name.startsWith('.') && (d.isDirectory() || (d.isSymbolicLink() && isDir(path.join(dir, d.name)))),
      )
      .map((d) => d.name),
  );
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The image files under dir (recursively, sorted), and how many other files it holds. */
function imagesUnder(dir: string): { files: string[]; others: string[] } {
  const files: string[] = [];
  const others: string[] = [];
  const walk = (d: string) => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (ent.name.startsWith('.')) continue;
      const p = path.join(d, ent.name);
      if (ent.isDirectory() || (ent.isSymbolicLink() && isDir(p))) walk(p);
      else if (isImageFile(ent.name)) files.push(p);
      else others.push(p);
    }
  };
  walk(dir);
  return { files, others };
}

interface ClassFolders {
  classNames: string[];
  entries: ImageEntry[];
  others: string[];
}

/** Reads DIR/<class>/...; an empty class folder is an error that names it. */
function readClassFolders(source: string, dir: string, classNames?: string[]): ClassFolders {
  const names = subfolders(dir);
  const loose = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile() && isImageFile(d.name));
  if (names.length === 0) {
    throw new Error(
      loose.length
        ? `${source}: ${dir} holds images but no class folders: put each class's images in a folder of its own (${path.join(dir, 'CLASS', loose[0]!.name)})`
        : `${source}: ${dir} holds no class folders: a folder per class of ${IMAGE_FORMATS} images was expected (${path.join(dir, 'CLASS', 'IMAGE.jpg')})`,
    );
  }
  const classes = classNames ?? names;
  const index = new Map(classes.map((c, i) => [c, i]));
  const entries: ImageEntry[] = [];
  const others: string[] = [];
  for (const name of names) {
    const folder = path.join(dir, name);
    const { files, others: o } = imagesUnder(folder);
    others.push(...o);
    if (files.length === 0) {
      throw new Error(
        `${source}: the class folder ${folder} holds no ${IMAGE_FORMATS} images${o.length ? ` (${o.length} other file${o.length === 1 ? '' : 's'}, e.g. ${path.basename(o[0]!)})` : ''}: add images or remove the folder`,
      );
    }
    const label = index.get(name);
    if (label === undefined) {
      // A class the training split lacks: named by the caller's check against the test split.
      throw new Error(
        `${source}: ${folder} is a class that the training split lacks (its classes: ${classes.join(', ')}): a class must have training images to be learned`,
      );
    }
    for (const f of files) entries.push({ file: f, label, where: f });
  }
  return { classNames: classes, entries, others };
}

/** Lists an image folder (images:DIR). */
export function listImageFolder(dir: string, source: string): ImageListing {
  const root = path.resolve(dir);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (e) {
    throw new Error(
      `${source}: cannot read the folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); images:DIR names a folder with a subfolder per class`,
      { cause: e },
    );
  }
  if (!st.isDirectory()) {
    throw new Error(
      `${source}: ${dir} is a file, not a folder; images:DIR names a folder with a subfolder per class (a list of files and labels is manifest:FILE.csv or .jsonl)`,
    );
  }
  const top = subfolders(root);
  const notes: string[] = [];
  const split = top.includes('train') && subfolders(path.join(root, 'train')).length > 0;
  let l: ImageListing;
  if (split) {
    const trainDir = path.join(root, 'train');
    const train = readClassFolders(source, trainDir);
    checkClassCount(source, train.classNames, trainDir);
    const other = (name: 'val' | 'test') => {
      const d = path.join(root, name);
      return top.includes(name) ? readClassFoldersAllowingMissing(source, d, train.classNames) : null;
    };
    const val = other('val');
    const test = other('test');
    const extra = top.filter((n) => !['train', 'val', 'test'].includes(n));
    if (extra.length)
      notes.push(`${source}: folders beside train/ that are not a split are not used: ${extra.join(', ')}`);
    l = {
      source,
      classNames: train.classNames,
      train: train.entries,
      val: val?.entries ?? [],
      test: test?.entries ?? [],
      trainFrom: trainDir,
      testFrom: test ? path.join(root, 'test') : path.join(root, 'val'),
      skipped: [],
      notes,
    };
    const others = [...train.others, ...(val?.others ?? []), ...(test?.others ?? [])];
    if (others.length) notes.push(otherFilesNote(source, others));
  } else {
    const all = readClassFolders(source, root);
    checkClassCount(source, all.classNames, root);
    l = {
      source,
      classNames: all.classNames,
      train: all.entries,
      val: [],
      test: [],
      trainFrom: root,
      testFrom: root,
      skipped: [],
      notes,
    };
    if (all.others.length) notes.push(otherFilesNote(source, all.others));
  }
  return l;
}

/** A test or val folder: its classes must be the training split's; a missing one is named later. */
function readClassFoldersAllowingMissing(source: string, dir: string, classNames: string[]): ClassFolders {
  if (subfolders(dir).length === 0) {
    throw new Error(
      `${source}: ${dir} holds no class folders: a split folder holds a folder per class, as train/ does (${classNames.slice(0, 3).join(', ')}...)`,
    );
  }
  return readClassFolders(source, dir, classNames);
}

function otherFilesNote(source: string, others: string[]): string {
  return `${source}: ${others.length} file${others.length === 1 ? ' is' : 's are'} not ${IMAGE_FORMATS} images by name and ${others.length === 1 ? 'is' : 'are'} not used (e.g. ${others[0]})`;
}
