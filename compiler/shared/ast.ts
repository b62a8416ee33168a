/** Syntax helpers every pass that reads the app's code needs. */
import { ts } from "ts-morph";

/**
 * The expression under parentheses, `as`, `satisfies`, `!` and `<T>` wrappers: none of them
 * changes the value at run time, so a handler or a static value is read through them.
 */
export function skipOuter(e: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isTypeAssertionExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}
