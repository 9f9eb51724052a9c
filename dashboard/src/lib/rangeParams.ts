import { PRESET_VALUES, type RangePreset, type RangeSpec } from './range';
import { readEnum } from './params';
import { normaliseIso } from './time';

/**
 * `range=24h`, or `range=custom&from=…&to=…` (ISO UTC). A custom range whose times do not parse
 * falls back to the default preset. One that runs backwards is kept, so that a half-edited range
 * does not jump back to a preset under the user's hands; the pages say what is wrong with it.
 */
export function readRange(params: URLSearchParams, fallback: RangePreset): RangeSpec {
  const from = normaliseIso(params.get('from'));
  const to = normaliseIso(params.get('to'));
  const wantsCustom = params.get('range') === 'custom' || (!params.has('range') && from !== null && to !== null);
  if (wantsCustom && from !== null && to !== null) {
    return { kind: 'custom', from, to };
  }
  return { kind: 'preset', preset: readEnum(params, 'range', PRESET_VALUES, fallback) };
}

export function rangeEntries(range: RangeSpec): [string, string][] {
  return range.kind === 'custom'
    ? [
        ['range', 'custom'],
        ['from', range.from],
        ['to', range.to],
      ]
    : [['range', range.preset]];
}
