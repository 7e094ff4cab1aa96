/** Who is calling, from a verified access token. */
export interface Principal {
  userId: string;
  /** Set for end-user tokens (scoped to one project); null for developer tokens. */
  projectId: string | null;
}

export interface EndUserPrincipal extends Principal {
  projectId: string;
}

export function isEndUser(principal: Principal): principal is EndUserPrincipal {
  return principal.projectId !== null;
}
