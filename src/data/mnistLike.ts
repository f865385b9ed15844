// MNIST and Fashion-MNIST from their IDX files: 28x28 grey images, 10 classes.
import { readIdx, findIdxFile } from './idx';
import { channelStats, type DataSource, type ImageSet } from './imageSet';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const MNIST_DIR = '/usr/share/datasets/mnist';

const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function loadSplit(dir: string, prefix: 'train' | 't10k', dataset: string, hint: string): ImageSet {
  const imgFile = findIdxFile(dir, `${prefix}-images-idx3-ubyte`, dataset, hint);
  const lblFile = findIdxFile(dir, `${prefix}-labels-idx1-ubyte`, dataset, hint);
  const img = readIdx(imgFile, 3);
  const lbl = readIdx(lblFile, 1);
  const [n, h, w] = img.dims as [number, number, number];
  if (lbl.dims[0] !== n) throw new Error(`${lblFile}: holds ${lbl.dims[0]} labels but ${imgFile} holds ${n} images`);
  for (let i = 0; i < n; i++) {
    if (lbl.data[i]! > 9) throw new Error(`${lblFile}: label ${lbl.data[i]} at index ${i} is not a class 0..9`);
  }
  return {
    name: `${dataset}/${prefix === 'train' ? 'train' : 'test'}`,
    images: img.data,
    labels: lbl.data,
    count: n,
    channels: 1,
    height: h,
    width: w,
    classes: 10,
  };
}

export function loadMnistLike(kind: 'fashion-mnist' | 'mnist', dir: string, spec: string): DataSource {
  const hint =
    kind === 'fashion-mnist' && dir === FASHION_MNIST_DIR
      ? "Install Debian's dataset-fashion-mnist (bash scripts/setup.sh does), or name a directory: fashion-mnist:/path/to/dir"
      : `Expected the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; .gz or not) in ${dir}.`;
  const train = loadSplit(dir, 'train', kind, hint);
  const test = loadSplit(dir, 't10k', kind, hint);
  return {
    spec,
    kind,
    train,
    test,
    ...channelStats(train),
    flipByDefault: kind === 'fashion-mnist',
    classNames: kind === 'mnist' ? DIGITS : FASHION_CLASSES,
  };
}
