function allZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

/**
 * The zone list for the picker: the browser's zone and UTC first, then every IANA zone the browser
 * knows. The zone in force is always listed, even one this browser's list lacks (a shared URL).
 */
export function zoneChoices(current: string, browserZone: string, known: readonly string[] = allZones()): { label: string; zones: string[] }[] {
  const common = [...new Set([browserZone, 'UTC', current])];
  return [
    { label: 'Common', zones: common },
    { label: 'All zones', zones: known.filter((z) => !common.includes(z)) },
  ];
}
