// CIFAR-10's binary format: data_batch_1..5.bin and test_batch.bin, each 10000 records of one label
// byte followed by 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major 32x32).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { channelStats, type DataSource, type ImageSet } from './imageSet';

const RECORD = 1 + 3 * 32 * 32;
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

function readBatches(dir: string, files: string[], name: string): ImageSet {
  const buffers = files.map((f) => {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) {
      throw new Error(
        `cifar10: cannot find ${f} in ${dir}. Expected the binary version (data_batch_1.bin .. data_batch_5.bin, test_batch.bin) from 'cifar-10-binary.tar.gz', unpacked.`,
      );
    }
    const buf = fs.readFileSync(file);
    if (buf.length === 0 || buf.length % RECORD !== 0) {
      throw new Error(
        `${file}: ${buf.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records (label + 3x32x32); the file is truncated or not CIFAR-10 binary`,
      );
    }
    return { file, buf };
  });
  const count = buffers.reduce((s, b) => s + b.buf.length / RECORD, 0);
  const images = new Uint8Array(count * (RECORD - 1));
  const labels = new Uint8Array(count);
  let i = 0;
  for (const { file, buf } of buffers) {
    for (let off = 0; off < buf.length; off += RECORD, i++) {
      const label = buf[off]!;
      if (label > 9) throw new Error(`${file}: record ${off / RECORD} has label ${label}, not a class 0..9`);
      labels[i] = label;
      images.set(buf.subarray(off + 1, off + RECORD), i * (RECORD - 1));
    }
  }
  return { name, images, labels, count, channels: 3, height: 32, width: 32, classes: 10 };
}

export function loadCifar10(dir: string, spec: string): DataSource {
  const train = readBatches(
    dir,
    [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`),
    'cifar10/train',
  );
  const test = readBatches(dir, ['test_batch.bin'], 'cifar10/test');
  return { spec, kind: 'cifar10', train, test, ...channelStats(train), flipByDefault: true, classNames: CLASSES };
}
