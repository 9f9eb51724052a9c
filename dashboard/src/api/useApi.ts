import { useAuth } from '../auth/AuthContext';
import { apiRequest, type RequestOptions } from './client';

/** The signed-in key's API caller; every query hook goes through it. */
export function useApi() {
  const { apiKey } = useAuth();
  return {
    enabled: apiKey !== null,
    call: <T>(path: string, options?: RequestOptions) => apiRequest<T>(apiKey ?? '', path, options),
  };
}
