// The layers of src/ (docs/architecture.md), checked by the test command: a folder imports only
// from folders of lower layers (and from itself), and no module imports itself through a cycle.
// Type-only imports count: a layer that names another's types depends on it.
const LAYERS = [
  ['packageRoot', 'random', 'stats', 'io', 'report'],
  ['engine', 'blocks/opName'],
  ['nn', 'space'],
  ['optim', 'arch', 'blocks', 'models'],
  ['cost', 'builder', 'data'],
  ['export'],
  ['train', 'latency'],
  ['supernet', 'evaluate', 'predict'],
  ['study'],
  ['search'],
  ['dashboard'],
  ['cli', 'index'],
];

// blocks/opName (the op grammar, no engine) sits below the rest of blocks (modules built from it).
const pathOf = (name) => (name === 'blocks' ? '^src/blocks/(?!opName\\.ts$)' : `^src/${name}(/|\\.ts$)`);

const rules = LAYERS.flatMap((names, r) =>
  names.map((name) => ({
    name: `layer-${name.replace('/', '-')}`,
    comment: `src/${name} is in layer ${r}: it imports only from lower layers (docs/architecture.md)`,
    severity: 'error',
    from: { path: pathOf(name) },
    to: {
      path: LAYERS.slice(r)
        .flat()
        .filter((other) => other !== name)
        .map(pathOf),
    },
  })),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'import cycles load half-initialised modules',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...rules.filter((rule) => rule.to.path.length),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
