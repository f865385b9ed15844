// Data sets by name, as on the command line: fashion-mnist, fashion-mnist:/dir, mnist:/dir,
// cifar10:/dir, synthetic, synthetic:SEED, images:DIR and manifest:FILE (image files, decoded to
// the network's input: imageDataSet.ts).
import { loadCifar10 } from './cifar10';
import { loadImageDataSet } from './imageDataSet';
import type { DataSource } from './imageSet';
import { FASHION_MNIST_DIR, MNIST_DIR, loadMnistLike } from './mnistLike';
import { loadSynthetic } from './synthetic';
import { parseSeed } from '../random/seeds';

export const DATA_SET_FORMS = [
  'fashion-mnist[:DIR]',
  'mnist[:DIR]',
  'cifar10:DIR',
  'synthetic[:SEED]',
  'images:DIR[?OPTIONS]',
  'manifest:FILE.csv|FILE.jsonl[?OPTIONS]',
];

export interface DataLoadOptions {
  /**
   * The network's input CxHxW (the space's): image files (images:, manifest:) are decoded to its
   * channels (1 grey, 3 colour) and size. Data sets stored at a fixed size ignore it.
   */
  input?: readonly [number, number, number];
  /** Folder of decoded-image caches (default: $TSNAS_CACHE_DIR, $XDG_CACHE_HOME/tsnas or ~/.cache/tsnas). */
  cacheDir?: string;
}

/**
 * The number of classes of a data set by its name alone, without loading it: the fixed sets'
 * (fashion-mnist, mnist, cifar10 and synthetic have 10); null for image files (their folders say).
 */
export function dataSetClasses(spec: string): number | null {
  const kind = spec.split(':')[0];
  return kind === 'fashion-mnist' || kind === 'mnist' || kind === 'cifar10' || kind === 'synthetic' ? 10 : null;
}

const cache = new Map<string, DataSource>();
/** The input each image data set was last decoded to, for loads that do not say (a study's data). */
const lastInput = new Map<string, readonly [number, number, number]>();

const isImageKind = (kind: string) => kind === 'images' || kind === 'manifest';

/** Loads a data set by its command-line name; repeated loads in one process share the arrays. */
export function loadDataSource(spec: string, options: DataLoadOptions = {}): DataSource {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  const input = isImageKind(kind) ? (options.input ?? lastInput.get(spec)) : undefined;
  // Image files are named by paths relative to the working directory, and decoded to an input.
  const key = input ? [spec, input.join('x'), process.cwd(), options.cacheDir ?? ''].join('\u0000') : spec;
  const hit = cache.get(key);
  if (hit) return hit;
  let ds: DataSource;
  switch (kind) {
    case 'fashion-mnist':
      ds = loadMnistLike('fashion-mnist', arg || FASHION_MNIST_DIR, spec);
      break;
    case 'mnist':
      ds = loadMnistLike('mnist', arg || MNIST_DIR, spec);
      break;
    case 'cifar10':
      if (!arg)
        throw new Error('cifar10 needs the directory of its binary batches: cifar10:/path/to/cifar-10-batches-bin');
      ds = loadCifar10(arg, spec);
      break;
    case 'synthetic': {
      const seed = arg ? parseSeed(arg, `data set '${spec}': the seed of synthetic:SEED`) : 0;
      ds = loadSynthetic({ seed }, spec);
      break;
    }
    case 'images':
    case 'manifest':
      if (!input) {
        throw new Error(
          `data set '${spec}': image files are decoded to the network's input, and none was given (input: CxHxW, e.g. the space's)`,
        );
      }
      ds = loadImageDataSet(kind, arg, spec, { input, cacheDir: options.cacheDir });
      lastInput.set(spec, input);
      break;
    default:
      throw new Error(`unknown data set '${spec}' (valid forms: ${DATA_SET_FORMS.join(', ')})`);
  }
  cache.set(key, ds);
  return ds;
}
