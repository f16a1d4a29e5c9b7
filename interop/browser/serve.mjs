// Starts `oobe serve` for the browser test and stops it again.
//
// OOBE_BIN names a built oobe binary (run.sh builds one); without it the binary is built here
// with `go build` from the repository root, two directories up.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * startServe runs `oobe serve --json` with a fresh data and config directory and resolves with
 * the JSON start line ({url, tenants: [{id, name, authority, clientId}], ...}) plus stop().
 */
export async function startServe(extraArgs = []) {
  const tmp = mkdtempSync(join(tmpdir(), 'oobe-browser-'));
  let bin = process.env.OOBE_BIN;
  if (!bin) {
    bin = join(tmp, 'oobe');
    execFileSync('go', ['build', '-o', bin, './cmd/oobe'], { cwd: repoRoot, stdio: 'inherit' });
  }
  const args = ['serve', '--json', '--data', join(tmp, 'data'), '--device-code-interval', '1s', ...extraArgs];
  const child = spawn(bin, args, {
    env: { ...process.env, XDG_CONFIG_HOME: join(tmp, 'config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));

  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise((res) => lines.once('line', res)),
    exited.then(({ code, signal }) => {
      throw new Error(`oobe serve exited (${code ?? signal}) before printing its start line:\n${stderr}`);
    }),
    new Promise((_, rej) => setTimeout(() => rej(new Error(`oobe serve printed nothing in 20 s:\n${stderr}`)), 20_000).unref()),
  ]);
  let info;
  try {
    info = JSON.parse(first);
  } catch {
    child.kill('SIGTERM');
    throw new Error(`oobe serve's first line is not JSON: ${first}`);
  }
  return {
    ...info,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const { code, signal } = await exited;
      rmSync(tmp, { recursive: true, force: true });
      if (code !== 0 && signal === null) throw new Error(`oobe serve exited with ${code}:\n${stderr}`);
    },
  };
}
