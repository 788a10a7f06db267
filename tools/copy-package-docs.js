// npm pack / publish of @dataqueue/nestjs (its `prepack`): the package carries the repository's
// README, its topic docs (the README links to them) and LICENSE, which live at the root; not the
// architecture notes, which are for contributors and link into the repository. The copies are
// git-ignored.
import { copyFileSync, cpSync } from 'node:fs';

for (const file of ['README.md', 'LICENSE']) copyFileSync(new URL(`../${file}`, import.meta.url), file);
cpSync(new URL('../docs', import.meta.url), 'docs', { recursive: true, filter: (source) => !source.endsWith('architecture.md') });
