// Just enough PromQL to ask "does this alert's query return data?": an
// alert's expression is a comparison against a threshold, so it answers
// nothing while all is well. Its operands are what must return data.

/** Masks string literals, so brackets and operators inside label values are not seen. */
function mask(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, (s) => "_".repeat(s.length));
}



/** Splits at binary comparison and set operators outside any bracket, keeping the operands. */
function splitTopLevel(expr: string): string[] {
  const masked = mask(expr);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < masked.length; i++) {
    const ch = masked[i]!;
    if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
    else if (depth === 0) {
      const rest = masked.slice(i);
      const word = /^(and|or|unless)\b/.exec(rest);
      const before = i === 0 ? " " : masked[i - 1]!;
      const op = /^(>=|<=|==|!=|>|<)/.exec(rest);
      if ((word && /[\s)]/.test(before)) || op) {
        const token = (word ?? op)![0];
        parts.push(expr.slice(start, i));
        i += token.length - 1;
        start = i + 1;
      }
    }
  }
  parts.push(expr.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Strips one pair of brackets around the whole expression, if there is one. */
function unwrap(expr: string): string | undefined {
  const masked = mask(expr.trim());
  if (!masked.startsWith("(")) return undefined;
  let depth = 0;
  for (let i = 0; i < masked.length; i++) {
    if (masked[i] === "(") depth++;
    if (masked[i] === ")") depth--;
    if (depth === 0) return i === masked.length - 1 ? expr.trim().slice(1, -1) : undefined;
  }
  return undefined;
}

/**
 * The sub-queries of an alert expression that must return data: the
 * operands of its top-level comparisons and set operators (thresholds and
 * `bool` dropped), with `absent(x)` replaced by `x`.
 */
export function dataQueries(expr: string): string[] {
  const out: string[] = [];
  const visit = (e: string) => {
    const text = e.trim().replace(/^bool\s+/, "");
    if (/^-?[0-9.]+(e[+-]?[0-9]+)?$/i.test(text)) return;
    const parts = splitTopLevel(text);
    if (parts.length > 1) return parts.forEach(visit);
    const inner = unwrap(text);
    if (inner !== undefined) return visit(inner);
    const absent = /^absent\s*\(([\s\S]*)\)$/.exec(text);
    if (absent && unwrap(text.slice(text.indexOf("("))) !== undefined) return visit(absent[1]!);
    out.push(text);
  };
  visit(expr);
  return out;
}

