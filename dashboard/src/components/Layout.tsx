import { useEffect } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router-dom';
import { useAlerts, useSession } from '../api/queries';
import { useAuth } from '../auth/AuthContext';
import { firingRules } from '../lib/alerts';
import { pageTitle } from '../lib/titles';
import { TypeColorsProvider } from './TypeColors';

const NAV = [
  { to: '/', label: 'Overview', end: true },
  { to: '/metrics', label: 'Metrics' },
  { to: '/funnels', label: 'Funnels' },
  { to: '/events', label: 'Events' },
  { to: '/catalog', label: 'Catalog' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/dead-letters', label: 'Dead letters' },
  { to: '/settings', label: 'Settings' },
];

function SessionBadge() {
  const session = useSession();
  const { signOut } = useAuth();
  const s = session.data;
  return (
    <div className="session" data-testid="session">
      {s ? (
        <>
          <span className="tenant" data-testid="session-tenant" title={`tenant ${s.tenant.slug}, project ${s.project.slug}`}>
            {s.tenant.name}
          </span>
          <span className="muted"> / {s.project.slug}</span>
          <code className="key-prefix" data-testid="session-key-prefix" title={`scopes: ${s.key.scopes.join(', ')}`}>
            {s.key.display_prefix}…
          </code>
        </>
      ) : (
        <span className="muted">{session.isError ? 'session unavailable' : 'checking key…'}</span>
      )}
      <button type="button" className="link-button" onClick={() => signOut()} data-testid="signout">
        Sign out
      </button>
    </div>
  );
}

/** How many rules fire now; every page polls the rule list (small, one tenant's rules) for it. */
function useFiringCount(): number {
  const alerts = useAlerts();
  return alerts.data ? firingRules(alerts.data.rules).length : 0;
}

export function Layout() {
  const firing = useFiringCount();
  const { pathname } = useLocation();
  useEffect(() => {
    document.title = pageTitle(pathname, firing);
  }, [pathname, firing]);
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">CustomerSignal</span>
        <nav className="nav" aria-label="Main">
          {NAV.map((item) => (
            <NavLink key={item.to} to={item.to} end={item.end} className={({ isActive }) => (isActive ? 'active' : undefined)}>
              {item.label}
              {item.to === '/alerts' && firing > 0 && (
                <span className="nav-badge" data-testid="nav-firing" title={`${firing} rule${firing === 1 ? '' : 's'} firing`}>
                  {firing} firing
                </span>
              )}
            </NavLink>
          ))}
        </nav>
        <SessionBadge />
      </header>
      <main className="content">
        <TypeColorsProvider>
          <Outlet />
        </TypeColorsProvider>
      </main>
    </div>
  );
}
