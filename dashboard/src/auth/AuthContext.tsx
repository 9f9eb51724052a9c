import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { onAuthFailure } from './authFailures';
import { clearStoredKey, readStoredKey, storeKey } from './storage';

interface AuthValue {
  apiKey: string | null;
  /** Why the user was signed out, shown once on the sign-in page. */
  notice: string | null;
  signIn: (key: string) => void;
  signOut: (notice?: string) => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [apiKey, setApiKey] = useState<string | null>(readStoredKey);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback(
    (why?: string) => {
      clearStoredKey();
      setApiKey(null);
      setNotice(why ?? null);
      // Another key may belong to another tenant: nothing cached may survive.
      queryClient.cancelQueries();
      queryClient.clear();
    },
    [queryClient],
  );

  const signIn = useCallback((key: string) => {
    storeKey(key);
    setApiKey(key);
    setNotice(null);
  }, []);

  useEffect(
    () =>
      onAuthFailure((error) => {
        const ref = error.requestId ? `, request ${error.requestId}` : '';
        signOut(`You were signed out: ${error.message} (${error.code}${ref})`);
      }),
    [signOut],
  );

  const value = useMemo(() => ({ apiKey, notice, signIn, signOut }), [apiKey, notice, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside <AuthProvider>');
  return value;
}
