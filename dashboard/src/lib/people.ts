/** Who a person page is about: a user id, or an anonymous id (the API resolves it to its user if linked). */
export type PersonRef = { userId: string; anonymousId?: undefined } | { anonymousId: string; userId?: undefined };

export function personPath(ref: PersonRef): string {
  return `/people?${new URLSearchParams(personQuery(ref))}`;
}

export function parsePersonRef(params: URLSearchParams): PersonRef | null {
  const user = params.get('user_id');
  if (user) return { userId: user };
  const anonymous = params.get('anonymous_id');
  return anonymous ? { anonymousId: anonymous } : null;
}

export function personQuery(ref: PersonRef): Record<string, string> {
  return ref.userId !== undefined ? { user_id: ref.userId } : { anonymous_id: ref.anonymousId };
}

/** A type's share of the person's events, as a bar width in percent (at least a sliver when non-zero). */
export function shareOf(count: number, total: number): number {
  if (total <= 0 || count <= 0) return 0;
  return Math.max(1, Math.round((count / total) * 100));
}
