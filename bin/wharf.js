#!/usr/bin/env -S node --max-semi-space-size=8
// The router. Wharf runs its TypeScript sources directly (Node's type stripping), which needs Node >= 22.19.
import { launch } from './launch.js';

await launch('wharf', '../router/main.ts');
