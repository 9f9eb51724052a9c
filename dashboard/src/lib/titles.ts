const APP = 'CustomerSignal';

const SECTIONS: [prefix: string, title: string][] = [
  ['/metrics', 'Metrics'],
  ['/funnels', 'Funnels'],
  ['/events', 'Events'],
  ['/people', 'Person'],
  ['/catalog', 'Catalog'],
  ['/alerts', 'Alerts'],
  ['/dead-letters', 'Dead letters'],
  ['/settings', 'Settings'],
  ['/sign-in', 'Sign in'],
];

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The tab's title for a path: the page first (tabs are narrow), a catalog type's name on its page, and
 * the number of firing alerts in front so a background tab still says something is wrong.
 */
export function pageTitle(pathname: string, firing: number): string {
  const section = pathname === '/' || pathname === '' ? 'Overview' : (SECTIONS.find(([p]) => pathname === p || pathname.startsWith(`${p}/`))?.[1] ?? 'Not found');
  const parts = [section];
  const detail = /^\/catalog\/([^/]+)$/.exec(pathname);
  if (detail?.[1]) parts.unshift(decoded(detail[1]));
  else if (/^\/alerts\/new$/.test(pathname)) parts.unshift('New rule');
  else if (/^\/alerts\/[^/]+\/edit$/.test(pathname)) parts.unshift('Edit rule');
  else if (/^\/alerts\/[^/]+$/.test(pathname)) parts.unshift('Rule');
  else if (/^\/events\/[^/]+$/.test(pathname)) parts.unshift('Event');
  const title = `${parts.join(' · ')} · ${APP}`;
  return firing > 0 ? `(${firing} firing) ${title}` : title;
}
