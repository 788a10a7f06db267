// npm pack / publish of @dataqueue/nestjs (its `prepack`): the package carries the repository's
// README and LICENSE, which live at the root. The copies are git-ignored.
import { copyFileSync } from 'node:fs';

for (const file of ['README.md', 'LICENSE']) copyFileSync(new URL(`../${file}`, import.meta.url), file);
