import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useAllEventTypes } from '../api/queries';
import { assignTypeColors, hashColor, type TypeColors } from '../lib/colors';


// Outside the signed-in pages there is no catalog to read: names alone decide.
const TypeColorsContext = createContext<TypeColors>(hashColor);

/**
 * The tenant's colours, from the same cached catalog query the Metrics and Events pages read. Until the
 * catalog arrives every type has its name's colour; one render later, the catalog's.
 */
export function TypeColorsProvider({ children }: { children: ReactNode }) {
  const catalog = useAllEventTypes();
  const types = catalog.data?.event_types;
  const colors = useMemo(() => (types ? assignTypeColors(types) : hashColor), [types]);
  return <TypeColorsContext.Provider value={colors}>{children}</TypeColorsContext.Provider>;
}

export function useTypeColors(): TypeColors {
  return useContext(TypeColorsContext);
}

/** Colours for lines that are not event types (a breakdown's values), for the chart inside. */
export function TypeColorsOverride({ colors, children }: { colors: TypeColors; children: ReactNode }) {
  return <TypeColorsContext.Provider value={colors}>{children}</TypeColorsContext.Provider>;
}
