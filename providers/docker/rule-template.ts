import { formatError } from '../../config/errors.ts';
import { nameHint } from './constraints.ts';

// `providers.docker.defaultRule` is a Go template in Traefik. Wharf reads the subset rules use:
// {{ .Name }}, {{ .ContainerName }}, {{ index .Labels "key" }}, {{ .Labels.key }}, the functions
// normalize, lower and upper, pipelines (`.Name | normalize`), parentheses and `{{-`/`-}}` trimming.

/** What a default rule is rendered from. */
export interface RuleTemplateModel {
  /** The service name (container or compose service and project, normalized). */
  readonly Name: string;
  /** The container name without Docker's leading slash. */
  readonly ContainerName: string;
  readonly Labels: Readonly<Record<string, string>>;
}

/** A parsed template, or a problem at a 1-based column. */
export type RuleTemplateResult =
  | { ok: true; render: (model: RuleTemplateModel) => string }
  | { ok: false; message: string; problem: string; column: number };

type Value = string | Readonly<Record<string, string>>;
type Node = (m: RuleTemplateModel) => Value;
type Typed = { node: Node; type: 'string' | 'map'; column: number };

const FUNCS = ['normalize', 'lower', 'upper', 'index'] as const;
const FIELDS = ['Name', 'ContainerName', 'Labels'] as const;

/** Traefik's Normalize: runs of characters other than letters and digits become one '-', trimmed. */
export function normalizeName(name: string): string {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter((p) => p !== '')
    .join('-');
}

class TemplateError extends Error {
  readonly column: number;
  constructor(problem: string, column: number) {
    super(problem);
    this.column = column;
  }
}

/** Parses a defaultRule template once; rendering never fails. */
export function parseRuleTemplate(template: string): RuleTemplateResult {
  try {
    const parts: Node[] = [];
    let pos = 0;
    let text = '';
    while (pos < template.length) {
      const open = template.indexOf('{{', pos);
      if (open < 0) {
        text += template.slice(pos);
        break;
      }
      text += template.slice(pos, open);
      const close = template.indexOf('}}', open + 2);
      if (close < 0) throw new TemplateError("'{{' is never closed", open + 1);
      let start = open + 2;
      let end = close;
      if (template[start] === '-' && /\s/.test(template[start + 1] ?? '')) {
        text = text.trimEnd();
        start++;
      }
      const trimAfter = template[end - 1] === '-' && /\s/.test(template[end - 2] ?? '');
      if (trimAfter) end--;
      const literal = text;
      parts.push(() => literal);
      text = '';
      const body = template.slice(start, end);
      if (!/^\s*\/\*[\s\S]*\*\/\s*$/.test(body)) {
        const typed = new ActionParser(template, start, end).parse();
        if (typed.type !== 'string')
          throw new TemplateError('the action gives a map, not text', typed.column);
        parts.push(typed.node);
      }
      pos = close + 2;
      if (trimAfter) while (pos < template.length && /\s/.test(template[pos] as string)) pos++;
    }
    const tail = text;
    parts.push(() => tail);
    return { ok: true, render: (model) => parts.map((p) => p(model) as string).join('') };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    const message = formatError('DOCKER_DEFAULT_RULE', { template, problem: e.message, column: e.column });
    return { ok: false, message, problem: e.message, column: e.column };
  }
}

/** Parses one action `{{ ... }}` between start and end of the template. */
class ActionParser {
  pos: number;
  readonly src: string;
  readonly end: number;
  constructor(src: string, start: number, end: number) {
    this.src = src;
    this.pos = start;
    this.end = end;
  }

  parse(): Typed {
    this.skip();
    if (this.pos >= this.end) throw new TemplateError('empty action', this.pos);
    const typed = this.pipeline();
    this.skip();
    if (this.pos < this.end) throw new TemplateError(`unexpected ${this.found()}`, this.pos + 1);
    return typed;
  }

  skip(): void {
    while (this.pos < this.end && /\s/.test(this.src[this.pos] as string)) this.pos++;
  }

  found(): string {
    if (this.pos >= this.end) return 'the end of the action';
    const word = /^[^\s()|]+/.exec(this.src.slice(this.pos, this.end));
    return `"${word ? word[0] : this.src[this.pos]}"`;
  }

  pipeline(): Typed {
    let typed = this.command();
    for (;;) {
      this.skip();
      if (this.src[this.pos] !== '|' || this.pos >= this.end) return typed;
      this.pos++;
      this.skip();
      typed = this.command(typed);
    }
  }

  /** A function call with its arguments (plus the piped value last), or a single operand. */
  command(piped?: Typed): Typed {
    const column = this.pos + 1;
    const word = /^[A-Za-z_]\w*/.exec(this.src.slice(this.pos, this.end));
    if (!word) {
      if (piped) throw new TemplateError(`expected a function after '|' but found ${this.found()}`, column);
      return this.operand();
    }
    const name = word[0];
    this.pos += name.length;
    if (!(FUNCS as readonly string[]).includes(name)) {
      const problem = `function "${name}" is not supported (supported: ${FUNCS.join(', ')})${nameHint(name, FUNCS)}`;
      throw new TemplateError(problem, column);
    }
    const args: Typed[] = [];
    for (;;) {
      this.skip();
      const c = this.src[this.pos];
      if (this.pos >= this.end || c === '|' || c === ')') break;
      args.push(this.operand());
    }
    if (piped) args.push(piped);
    return call(name as (typeof FUNCS)[number], args, column);
  }

  operand(): Typed {
    const column = this.pos + 1;
    const c = this.src[this.pos];
    if (c === '(') {
      this.pos++;
      this.skip();
      const inner = this.pipeline();
      this.skip();
      if (this.src[this.pos] !== ')' || this.pos >= this.end)
        throw new TemplateError("'(' is never closed", column);
      this.pos++;
      return inner;
    }
    if (c === '"' || c === '`') {
      const close = this.src.indexOf(c, this.pos + 1);
      if (close < 0 || close >= this.end) throw new TemplateError('unterminated string', column);
      const value = this.src.slice(this.pos + 1, close);
      if (c === '"' && value.includes('\\'))
        throw new TemplateError('escapes in strings are not supported', column);
      this.pos = close + 1;
      return { node: () => value, type: 'string', column };
    }
    if (c === '.') {
      const field = /^\.(\w+)(?:\.([\w-]+))?/.exec(this.src.slice(this.pos, this.end));
      const name = field?.[1] ?? '';
      if (!field || !(FIELDS as readonly string[]).includes(name)) {
        const problem = `unknown field ${field ? `.${name}` : '"."'} (fields: .Name, .ContainerName, .Labels)${nameHint(name, FIELDS)}`;
        throw new TemplateError(problem, column);
      }
      this.pos += field[0].length;
      const key = field[2];
      if (name === 'Labels')
        return key === undefined
          ? { node: (m) => m.Labels, type: 'map', column }
          : { node: (m) => m.Labels[key] ?? '', type: 'string', column };
      if (key !== undefined) throw new TemplateError(`.${name} has no field ${key}`, column);
      return { node: (m) => m[name as 'Name' | 'ContainerName'], type: 'string', column };
    }
    throw new TemplateError(`expected a value but found ${this.found()}`, column);
  }
}

function call(name: (typeof FUNCS)[number], args: Typed[], column: number): Typed {
  if (name === 'index') {
    const [map, key] = args;
    if (args.length !== 2 || map?.type !== 'map' || key?.type !== 'string')
      throw new TemplateError('index takes .Labels and a label name, e.g. index .Labels "app.host"', column);
    return {
      node: (m) => (map.node(m) as Record<string, string>)[key.node(m) as string] ?? '',
      type: 'string',
      column,
    };
  }
  const [arg] = args;
  if (args.length !== 1 || arg?.type !== 'string')
    throw new TemplateError(`${name} takes one text argument, e.g. ${name} .Name`, column);
  const f =
    name === 'normalize'
      ? normalizeName
      : name === 'lower'
        ? (s: string) => s.toLowerCase()
        : (s: string) => s.toUpperCase();
  return { node: (m) => f(arg.node(m) as string), type: 'string', column };
}
