/** Conversion of the text of a property to the type its key expects, with Spring's lenient spellings. */

export type ScalarKind =
  | { type: "string" }
  | { type: "int"; min?: number; max?: number }
  | { type: "number"; min?: number }
  | { type: "bool" }
  /** Matched case-insensitively; the result is the spelling listed in `values`. */
  | { type: "enum"; values: readonly string[] }
  /** Bytes: a plain number or Spring's DataSize style `64MB` (binary multiples). */
  | { type: "size" };

export type ScalarValue = string | number | boolean;

/** A value that does not fit its key; the message never contains the value when `showValue` is false. */
export class ValueError extends Error {}

const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

export function parseScalar(kind: ScalarKind, text: string, showValue = true): ScalarValue {
  const trimmed = text.trim();
  const got = showValue ? `, got "${text}"` : "";
  switch (kind.type) {
    case "string":
      return text;
    case "bool": {
      const word = trimmed.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      throw new ValueError(`expected a boolean (true/false, yes/no, on/off, 1/0)${got}`);
    }
    case "enum": {
      const found = kind.values.find((v) => v.toLowerCase() === trimmed.toLowerCase());
      if (found === undefined) throw new ValueError(`expected one of ${kind.values.join(", ")}${got}`);
      return found;
    }
    case "int": {
      if (!/^[+-]?\d+$/.test(trimmed)) throw new ValueError(`expected a whole number${got}`);
      return checkRange(Number(trimmed), kind.min, kind.max, got);
    }
    case "number": {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed))
        throw new ValueError(`expected a number${got}`);
      return checkRange(Number(trimmed), kind.min, undefined, got);
    }
    case "size": {
      const match = /^(\d+)\s*([a-z]*)$/i.exec(trimmed);
      const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
      if (!match || unit === undefined) {
        throw new ValueError(`expected a size in bytes, optionally with a unit (KB, MB, GB)${got}`);
      }
      return checkRange(Number(match[1]) * unit, 1, Number.MAX_SAFE_INTEGER, got);
    }
  }
}

function checkRange(value: number, min: number | undefined, max: number | undefined, got: string): number {
  const upper = max ?? 2 ** 31 - 1;
  if ((min !== undefined && value < min) || value > upper || !Number.isFinite(value)) {
    const range = min !== undefined ? `between ${min} and ${upper}` : `at most ${upper}`;
    throw new ValueError(`must be ${range}${got}`);
  }
  return value;
}
