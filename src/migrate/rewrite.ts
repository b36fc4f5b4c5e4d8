// `--rewrite <regex>=<replacement>` (repeatable): rules applied in order to every URL a pull
// sends, e.g. public OSS hosts to their `-internal` twins, as the ApsaraVideo docs suggest for
// sources in the same region:
//   --rewrite '^https://([^.]+)\.oss-cn-shanghai\.aliyuncs\.com/=https://$1.oss-cn-shanghai-internal.aliyuncs.com/'
// The rule splits at the first `=` not preceded by a backslash (write `\=` for a literal `=` in the
// pattern); the replacement may use `$1` … and `$&`. Each rule replaces its first match.
import { MigrateUsageError } from './migrate.errors.js';

export interface RewriteRule {
  readonly pattern: RegExp;
  readonly replacement: string;
  readonly text: string;
}

export function parseRewrite(text: string): RewriteRule {
  const at = /(?<!\\)=/.exec(text)?.index;
  if (at === undefined || at === 0) throw new MigrateUsageError(`--rewrite "${text}": expected <regex>=<replacement>`);
  const source = text.slice(0, at);
  let pattern: RegExp;
  try {
    pattern = new RegExp(source);
  } catch (e) {
    throw new MigrateUsageError(`--rewrite "${text}": ${(e as Error).message}`);
  }
  return { pattern, replacement: text.slice(at + 1), text };
}

export function applyRewrites(url: string, rules: readonly RewriteRule[]): string {
  return rules.reduce((u, r) => u.replace(r.pattern, r.replacement), url);
}
