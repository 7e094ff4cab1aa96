import { readdirSync, readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);

interface NestProject {
  type: string;
  root: string;
  sourceRoot: string;
}

const byRoot = (a: NestProject, b: NestProject) => a.root.localeCompare(b.root);

// Nest's tooling (nest build, generators) knows the workspace from nest-cli.json: it must name every app and library.
describe('nest-cli.json', () => {
  it('lists every folder under apps/ and libs/ by its name, with its src/', () => {
    const { projects } = JSON.parse(readFileSync(new URL('nest-cli.json', root), 'utf8')) as {
      projects: Record<string, NestProject>;
    };
    const folders = ['apps', 'libs'].flatMap((kind) =>
      readdirSync(new URL(`${kind}/`, root), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => ({
          type: kind === 'apps' ? 'application' : 'library',
          root: `${kind}/${entry.name}`,
          sourceRoot: `${kind}/${entry.name}/src`,
        })),
    );
    const listed = Object.values(projects).map(({ type, root: projectRoot, sourceRoot }) => ({
      type,
      root: projectRoot,
      sourceRoot,
    }));
    expect(listed.sort(byRoot)).toEqual(folders.sort(byRoot));
    for (const [name, project] of Object.entries(projects)) expect(project.root.split('/')[1]).toBe(name);
  });
});
