// SPOS (single-path one-shot, Guo et al. 2020) and ABS (angle-based search-space shrinking, Hu et
// al. 2020) as study strategies; the parts any one-shot method shares (path sampling, path-only
// training, one-shot accuracy, the angle, op scoring and shrinking) are in src/supernet.
// docs/nse.md describes them.
export * from './options';
export * from './state';
export * from './report';
export * from './oneShotStrategy';
