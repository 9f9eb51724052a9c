import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useAuth } from './AuthContext';

/** Pages behind a key; without one, go to sign-in and come back to the same place after. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { apiKey } = useAuth();
  const location = useLocation();
  if (!apiKey) {
    const from = location.pathname + location.search;
    return <Navigate to="/sign-in" replace state={{ from }} />;
  }
  return <>{children}</>;
}
