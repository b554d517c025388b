import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DefaultTheme, defineConfig } from 'vitepress';
// @ts-expect-error: a plain .mjs module shared with the build scripts; its JSDoc has the types.
import { docsDirectory, workspacePackages } from '../scripts/packages.mjs';

interface WorkspacePackage {
  short: string;
  name: string;
  hasPage: boolean;
  umbrella: boolean;
}

const packages = (workspacePackages() as WorkspacePackage[]).filter((pkg) => pkg.hasPage);

const guide: DefaultTheme.SidebarItem = {
  text: 'Guide',
  items: [
    { text: 'Why async: the awaited time', link: '/guide/' },
    { text: 'Your first coroutine', link: '/guide/first-coroutine' },
    { text: 'The main features', link: '/guide/features' },
    { text: 'Foreign promises and AbortSignals', link: '/guide/foreign-promises' },
    { text: 'Testing with VirtualLoop', link: '/guide/testing' },
    { text: 'Debugging a running program', link: '/guide/debugging' },
    { text: 'Node.js versions and browsers', link: '/guide/platforms' },
    { text: 'Further reading', link: '/guide/further-reading' },
  ],
};

const packagePages: DefaultTheme.SidebarItem = {
  text: 'Packages',
  items: packages.map((pkg) => ({ text: pkg.name, link: `/${pkg.short}` })),
};

const reference: DefaultTheme.SidebarItem = {
  text: 'Reference',
  items: [
    { text: 'Coming from Python asyncio', link: '/python' },
    { text: 'Benchmarks', link: '/benchmarks' },
    { text: 'API reference', link: '/api/' },
  ],
};

/** The API sidebar: one group per package, read from what TypeDoc generated. */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const groups: DefaultTheme.SidebarItem[] = [{ text: 'API reference', link: '/api/' }];
  for (const pkg of workspacePackages() as WorkspacePackage[]) {
    const file = join(docsDirectory, 'api', pkg.short, 'typedoc-sidebar.json');
    if (!existsSync(file)) continue;
    groups.push({
      text: pkg.name,
      link: `/api/${pkg.short}/`,
      collapsed: false,
      items: JSON.parse(readFileSync(file, 'utf8')),
    });
  }
  return groups;
}

export default defineConfig({
  title: 'coro',
  description: "Python asyncio's model in TypeScript for Node.js",
  lang: 'en-US',
  lastUpdated: false,
  cleanUrls: false,
  srcExclude: ['parts/**', 'test-results/**', 'test/**', 'README.md', 'node_modules/**'],
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/logo.svg' }]],
  themeConfig: {
    logo: '/logo.svg',
    nav: [
      { text: 'Guide', link: '/guide/' },
      {
        text: 'Packages',
        items: packages.map((pkg) => ({ text: pkg.name, link: `/${pkg.short}` })),
      },
      { text: 'From asyncio', link: '/python' },
      { text: 'Benchmarks', link: '/benchmarks' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/api/': apiSidebar(),
      '/': [guide, packagePages, reference],
    },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
  },
});
