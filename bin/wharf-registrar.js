#!/usr/bin/env -S node --max-semi-space-size=8
// wharf-registrar runs its TypeScript sources directly (Node's type stripping), which needs Node >= 22.19.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `wharf-registrar: Node ${process.versions.node} is too old; Wharf needs Node >= 22.19 (24 LTS recommended).\n` +
      '  From a clone, `npm start` and `npm test` use the Node 24 that `npm ci` installs.\n',
  );
  process.exit(1);
}
await import('../registrar/main.ts');
