import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJsonLimited, rawTopLevelNumber } from '../../../src/serve/json-depth.js';

/** The depth scan before JSON.parse, and the raw id reader of the WebSocket route. */
describe('nestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings or after escaped quotes', () => {
    expect(nestsDeeperThan('{"flows":[{"ip":"1.1.1.1"}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"flows":[{"ip":"1.1.1.1"}]}', 2)).toBe(true);
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 1)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\"${'{'.repeat(10)}","b":"\\\\"}`, 1)).toBe(false);
    // An escaped backslash before the quote ends the string: the brackets after it count.
    expect(nestsDeeperThan('["\\\\",[[[]]]]', 3)).toBe(true);
    // Siblings do not add up.
    expect(nestsDeeperThan(`[${'[],'.repeat(1000)}[]]`, 2)).toBe(false);
  });

  it('parseJsonLimited refuses with the code and parses the rest', () => {
    expect(parseJsonLimited('{"a":[1]}')).toEqual({ a: [1] });
    expect(() => parseJsonLimited('['.repeat(MAX_JSON_DEPTH + 1))).toThrow(expect.objectContaining({ code: 'M365FC_ERR_SERVE_JSON_TOO_DEEP' }) as Error);
    expect(() => parseJsonLimited('{bad')).toThrow(SyntaxError);
  });
});

describe('rawTopLevelNumber', () => {
  it('reads the number text of a top-level member, the last one when repeated', () => {
    expect(rawTopLevelNumber('{"id":9007199254740993,"flows":[]}', 'id')).toBe('9007199254740993');
    expect(rawTopLevelNumber('{ "id" : -12e3 }', 'id')).toBe('-12e3');
    expect(rawTopLevelNumber('{"flows":[{"id":5}],"id":7}', 'id')).toBe('7');
    expect(rawTopLevelNumber('{"id":1,"id":2}', 'id')).toBe('2');
    expect(rawTopLevelNumber('{"x":"\\"id\\":3"}', 'id')).toBeNull();
    expect(rawTopLevelNumber('{"id":"5"}', 'id')).toBeNull();
    expect(rawTopLevelNumber('{"id":1,"id":"x"}', 'id')).toBeNull();
  });
});
