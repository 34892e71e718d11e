import type { CategoryName, EndpointSetView, JsonSchema } from '../../plugin-api/plugin.js';

/** The set filters list-like exporters share: by category and by service area (case-insensitive). */
export interface SetFilter {
  readonly category: readonly CategoryName[];
  readonly serviceArea?: readonly string[];
}

export const CATEGORY_OPTION: JsonSchema = {
  type: 'array',
  items: { type: 'string', enum: ['Optimize', 'Allow', 'Default'] },
  minItems: 1,
  uniqueItems: true,
  default: ['Optimize', 'Allow', 'Default'],
};

export const SERVICE_AREA_OPTION: JsonSchema = {
  type: 'array',
  items: { type: 'string', pattern: '^[A-Za-z0-9 ._-]{1,64}$' },
  minItems: 1,
  description: 'Service areas to keep (Exchange, SharePoint, Skype, Common, ...); all when absent.',
};

export function filterSets(sets: readonly EndpointSetView[], filter: SetFilter): EndpointSetView[] {
  const areas = filter.serviceArea?.map((a) => a.toLowerCase());
  return sets.filter((s) => filter.category.includes(s.category) && (areas === undefined || areas.includes(s.serviceArea.toLowerCase())));
}
