import type { RuleAst } from './rule-parser.ts';

// Prints a syntax tree back as v3 rule text: how a Traefik v2 rule is written in v3 syntax, shown to users
// in the error a v2 rule gets under v3 syntax and by `wharf check`.

/** One argument: in backticks (raw, as Traefik's docs write them), or double-quoted if it has a backtick. */
function quote(arg: string): string {
  if (!arg.includes('`')) return `\`${arg}\``;
  const escaped = arg.replace(/[\\"\n\t\r]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\${c}`,
  );
  return `"${escaped}"`;
}

/** The rule text of a syntax tree, with parentheses only where && and || precedence needs them. */
export function printRule(ast: RuleAst): string {
  switch (ast.type) {
    case 'matcher':
      return `${ast.name}(${ast.args.map(quote).join(', ')})`;
    case 'not':
      return ast.expr.type === 'matcher' || ast.expr.type === 'not'
        ? `!${printRule(ast.expr)}`
        : `!(${printRule(ast.expr)})`;
    case 'and': {
      const side = (n: RuleAst) => (n.type === 'or' ? `(${printRule(n)})` : printRule(n));
      return `${side(ast.left)} && ${side(ast.right)}`;
    }
    case 'or':
      return `${printRule(ast.left)} || ${printRule(ast.right)}`;
  }
}
