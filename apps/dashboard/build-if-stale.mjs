// `npm run build` step: rebuilds the dashboard bundle only when it is missing or older than
// its source or the lock file, so a second `npm start` does not spend seconds in Vite.
// `npm run build:dashboard` always rebuilds.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'dist/dashboard/index.html');

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

const sources = [join(root, 'apps/dashboard'), join(root, 'package-lock.json')];
const fresh = existsSync(bundle) && statSync(bundle).mtimeMs >= Math.max(...sources.map(newestMtime));
if (!fresh) execSync('npm run build:dashboard', { cwd: root, stdio: 'inherit' });
