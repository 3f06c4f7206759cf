#!/usr/bin/env node
// The registrar. It runs its TypeScript sources directly (Node's type stripping), which needs Node >= 22.19.
import { launch } from './launch.js';

await launch('wharf-registrar', '../cli/registrar-main.ts');
