// Where a JSON pointer (RFC 6901) points in JSON *text*: the playground marks the field
// a validation problem names. JSON.parse forgets positions, so this walks the text once
// and records the span of every value (and of its key) by pointer.

/** Map pointer -> {start, end, keyStart, container} for every value in text (partial if malformed). */
export function indexJson(text) {
  const spans = new Map();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = () => {
    throw new SyntaxError(`unexpected input at ${i}`);
  };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (path, keyStart) => {
    ws();
    const start = i;
    const ch = text[i];
    if (ch === '{' || ch === '[') {
      i++;
      let n = 0;
      for (ws(); text[i] !== (ch === '{' ? '}' : ']'); n++) {
        if (n) {
          if (text[i] !== ',') fail();
          i++;
          ws();
        }
        if (ch === '{') {
          if (text[i] !== '"') fail();
          const ks = i;
          const key = string();
          ws();
          if (text[i] !== ':') fail();
          i++;
          value(`${path}/${escapeToken(key)}`, ks);
        } else value(`${path}/${n}`, undefined);
        ws();
        if (i >= text.length) fail();
      }
      i++;
    } else if (ch === '"') string();
    else {
      while (i < text.length && !',]} \t\n\r'.includes(text[i])) i++;
      if (i === start) fail();
    }
    spans.set(path, { start, end: i, keyStart, container: ch === '{' || ch === '[' });
  };
  try {
    value('', undefined);
  } catch {
    /* keep what was indexed before the error */
  }
  return spans;
}

export function escapeToken(token) {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The text range to mark for a pointer: {start, end, exact}. A pointer to a missing field
 * falls back to its nearest existing parent (exact=false). Containers mark only their key
 * and opening bracket, so a problem deep inside stays readable.
 */
export function locate(text, pointer, spans = indexJson(text)) {
  let p = pointer || '';
  let exact = true;
  for (;;) {
    const s = spans.get(p);
    if (s) {
      const from = s.keyStart ?? s.start;
      return { start: from, end: s.container ? s.start + 1 : s.end, exact };
    }
    if (!p) return null;
    p = p.slice(0, p.lastIndexOf('/'));
    exact = false;
  }
}

/** {line, column} (1-based) of an offset. */
export function lineColumn(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
