// Data sets by name, as on the command line: fashion-mnist, fashion-mnist:/dir, mnist:/dir,
// cifar10:/dir, synthetic, synthetic:SEED.
import { loadCifar10 } from './cifar10';
import type { DataSource } from './imageSet';
import { FASHION_MNIST_DIR, MNIST_DIR, loadMnistLike } from './mnistLike';
import { loadSynthetic } from './synthetic';
import { parseSeed } from '../random/seeds';

export const DATA_SET_FORMS = ['fashion-mnist[:DIR]', 'mnist[:DIR]', 'cifar10:DIR', 'synthetic[:SEED]'];

const cache = new Map<string, DataSource>();

/** Loads a data set by its command-line name; repeated loads in one process share the arrays. */
export function loadDataSource(spec: string): DataSource {
  const hit = cache.get(spec);
  if (hit) return hit;
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
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
    default:
      throw new Error(`unknown data set '${spec}' (valid forms: ${DATA_SET_FORMS.join(', ')})`);
  }
  cache.set(spec, ds);
  return ds;
}
