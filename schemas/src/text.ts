import { z } from 'zod';

/**
 * Strings that are valid Unicode: no lone UTF-16 surrogate. JavaScript strings (and JSON `\ud800` escapes) may hold
 * one; ClickHouse's JSON reader refuses it, so an event carrying one would pass validation and then fail its batch's
 * insert. Such text is rejected (not repaired): repairing would change what the source said without it knowing.
 * The pattern also works without the `u` flag (JSON Schema validators differ on that): a pair is matched as its two
 * code units, a code point above U+FFFF as one.
 */
export const WELL_FORMED = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

export const NOT_WELL_FORMED_MESSAGE = 'expected valid Unicode text: a lone UTF-16 surrogate (e.g. \\ud800) is not accepted';

/** A bounded string of valid Unicode, `min`..`max` UTF-16 code units (what `.length` counts). */
export const text = (max: number, min = 0): z.ZodString => {
  const s = min > 0 ? z.string().min(min) : z.string();
  return s.max(max).regex(WELL_FORMED, { message: NOT_WELL_FORMED_MESSAGE });
};

declare global {
  interface String {
    /** ES2024 (Node >= 20): false when the string holds a lone surrogate. Declared here while the lib target is ES2023. */
    isWellFormed(): boolean;
    /** ES2024: lone surrogates replaced by U+FFFD. */
    toWellFormed(): string;
  }
}
