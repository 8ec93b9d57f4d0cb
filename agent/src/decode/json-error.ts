// Where JSON.parse failed. V8 gives a position for most syntax errors but not for
// "Unexpected token 'x', ... is not valid JSON"; then a small validating scanner finds the offset
// of the first character that cannot be valid JSON. Runs on the error path only.

export interface JsonErrorInfo {
  /** Offset (UTF-16 code units) of the first invalid character; the length for unexpected end. */
  position: number;
  /** V8's reason without the position and the echoed input. */
  reason: string;
}

export function describeJsonError(err: unknown, text: string): JsonErrorInfo {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /at position (\d+)/.exec(msg);
  const position = m ? Number(m[1]) : /end of JSON input/.test(msg) ? text.length : firstInvalidOffset(text);
  const reason = msg
    .replace(/,? (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, '')
    .replace(/\s*(?:in JSON )?at position \d+.*$/, '')
    .trim();
  return { position, reason: reason === '' ? 'syntax error' : reason };
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Offset of the first character at which `text` stops being a JSON document (iterative). */
export function firstInvalidOffset(text: string): number {
  let i = 0;
  const n = text.length;
  // Containers being read: '{' or '['.
  const stack: number[] = [];
  const ws = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const literal = (word: string): boolean => {
    for (let k = 0; k < word.length; k++) if (text.charCodeAt(i + k) !== word.charCodeAt(k)) return false;
    i += word.length;
    return true;
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            return false;
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          return false;
        }
      } else i++;
    }
    return false;
  };
  const number = (): boolean => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  /** Reads one scalar or opens a container; false when the character cannot start a value. */
  const value = (): boolean => {
    ws();
    if (i >= n) return false;
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(text.charCodeAt(i));
      i++;
      return true;
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };

  if (!value()) return i;
  for (;;) {
    const top = stack[stack.length - 1];
    ws();
    if (top === undefined) return i; // a complete document followed by something else (or valid)
    if (top === 0x7b) {
      // just after '{' or after a member: expect '"', '}' or ','
      const prev = prevSignificant(text, i);
      if (text[i] === '}' && (prev === '{' || isValueEnd(prev))) {
        stack.pop();
        i++;
        continue;
      }
      if (prev === '{' || prev === ',') {
        if (text[i] !== '"' || !string()) return i;
        ws();
        if (text[i] !== ':') return i;
        i++;
        if (!value()) return i;
        continue;
      }
      if (text[i] !== ',') return i;
      i++;
      ws();
      if (text[i] !== '"') return i;
      continue;
    }
    // in an array
    const prev = prevSignificant(text, i);
    if (text[i] === ']' && (prev === '[' || isValueEnd(prev))) {
      stack.pop();
      i++;
      continue;
    }
    if (prev === '[') {
      if (!value()) return i;
      continue;
    }
    if (text[i] !== ',') return i;
    i++;
    if (!value()) return i;
  }
}

function prevSignificant(text: string, i: number): string {
  let k = i - 1;
  while (k >= 0 && WS.has(text.charCodeAt(k))) k--;
  return k >= 0 ? text[k] : '';
}

function isValueEnd(c: string): boolean {
  return c !== '' && c !== ',' && c !== ':' && c !== '[' && c !== '{';
}
