// Which BLAS libtorch calls. Debian's libtorch links libblas.so.3, which Debian's alternatives point
// at the reference BLAS or at OpenBLAS (installed with python3-torch's recommends, numpy's, ...);
// PyTorch's own libtorch carries MKL inside libtorch_cpu. Float32 results differ between them in
// the last bits (another summation order), so tests and benchmarks name the one in use.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A BLAS's name from its file's path (the first match wins). */
const KNOWN: readonly [RegExp, string][] = [
  [/openblas/i, 'OpenBLAS'],
  [/mkl/i, 'MKL'],
  [/flexiblas/i, 'FlexiBLAS'],
  [/blis/i, 'BLIS'],
  [/atlas/i, 'ATLAS'],
  [/\/blas\/libblas\.so/, 'reference BLAS (Netlib)'],
];
const nameOf = (file: string): string => KNOWN.find(([p]) => p.test(file))?.[1] ?? 'BLAS';

export interface BlasInfo {
  /** 'OpenBLAS', 'reference BLAS (Netlib)', 'MKL', ...; 'built into libtorch' when no BLAS library
   *  is loaded on its own (PyTorch's libtorch links MKL statically); 'unknown' off Linux. */
  name: string;
  /** The file the process loaded (symlinks resolved), or null. */
  library: string | null;
}

/**
 * The BLAS this process has loaded, from /proc/self/maps: call it after the engine is loaded (its
 * libraries pull the BLAS in). `maps` is the text of a maps file, for tests. Debian's libtorch needs
 * libblas.so.3, so the file loaded under that name is the one whose sgemm libtorch calls, even when
 * another BLAS comes in through liblapack.so.3 (the two alternatives are set apart).
 */
export function blasInUse(maps?: string): BlasInfo {
  let text = maps;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/maps', 'utf8');
    } catch {
      return { name: 'unknown', library: null };
    }
  }
  const files = new Set<string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('/');
    if (at >= 0) files.add(line.slice(at).trim());
  }
  const mapped = [...files];
  const libblas = mapped.find((f) => /^libblas\.so/.test(path.basename(f)));
  if (libblas) return { name: nameOf(libblas), library: libblas };
  const other = mapped.find((f) => /^lib(openblas|mkl_|flexiblas|blis|atlas)/.test(path.basename(f)));
  if (other) return { name: nameOf(other), library: other };
  return { name: 'built into libtorch', library: null };
}
