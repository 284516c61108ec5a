// @ts-check
// An Nx plugin that infers each project's TypeScript targets from its files, so that no
// project.json repeats them:
//   typecheck  from tsconfig.json        tsc --noEmit (JavaScript too, where checkJs is set)
//   build      from tsconfig.app.json    tsc to dist/<project root>, then path aliases rewritten
//   serve      from src/main.ts          the app from source, restarted on change
// Lint and test come from @nx/eslint/plugin and @nx/jest/plugin (nx.json).
'use strict';
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');

/** @type {import('nx/src/project-graph/plugins').CreateNodes} */
const createNodes = [
  '**/tsconfig.json',
  async (configFiles, _options, context) =>
    configFiles.flatMap((file) => {
      const root = dirname(file);
      const at = (/** @type {string} */ name) =>
        existsSync(join(context.workspaceRoot, root, name));
      if (!at('project.json')) return [];
      /** @type {Record<string, import('nx/src/config/workspace-json-project-json').TargetConfiguration>} */
      const targets = {
        typecheck: {
          executor: 'nx:run-commands',
          options: { command: `tsc -p ${root}/tsconfig.json --noEmit` },
          cache: true,
          inputs: ['default', '^production', { externalDependencies: ['typescript'] }],
        },
      };
      if (at('tsconfig.app.json')) {
        targets['build'] = {
          executor: 'nx:run-commands',
          options: {
            command: `rm -rf dist/${root} && tsc -p ${root}/tsconfig.app.json && tsc-alias -p ${root}/tsconfig.app.json`,
          },
          cache: true,
          dependsOn: ['^build'],
          inputs: ['production', '^production', { externalDependencies: ['typescript'] }],
          outputs: [`{workspaceRoot}/dist/${root}`],
        };
      }
      if (at('src/main.ts')) {
        targets['serve'] = {
          executor: 'nx:run-commands',
          continuous: true,
          options: {
            command: `node --watch-path=${root}/src --watch-path=libs -r @swc-node/register ${root}/src/main.ts`,
            env: { SWC_NODE_PROJECT: 'tsconfig.base.json' },
          },
        };
      }
      return [/** @type {const} */ ([file, { projects: { [root]: { targets } } }])];
    }),
];

module.exports = { name: 'typescript-targets', createNodes };
